import { RecordingBroker } from "../../test/support/RecordingBroker";
import { actor } from "../actor/declareActor";
import { Message } from "../message/Message";
import { MessageProxy } from "../message/MessageProxy";
import { TimeLimit } from "./TimeLimit";

function proxy(actorName: string, options: Record<string, unknown> = {}): MessageProxy {
  return new MessageProxy(new Message({ queueName: "default", actorName, args: [], options }));
}

test("limitFor reads the message option, then the actor option, then the middleware default", () => {
  const timeLimit = new TimeLimit({ timeLimit: 5_000 });
  const broker = new RecordingBroker({ middleware: [timeLimit] });
  actor(function limited() {}, { broker, timeLimit: 2_000 });
  actor(function plain() {}, { broker });

  expect(timeLimit.limitFor(broker, proxy("plain"))).toBe(5_000);
  expect(timeLimit.limitFor(broker, proxy("limited"))).toBe(2_000);
  expect(timeLimit.limitFor(broker, proxy("limited", { time_limit: 700 }))).toBe(700);
  expect(new TimeLimit().limitFor(broker, proxy("plain"))).toBe(600_000);
});

test("limitForActor reads the actor option, then the middleware default; undefined for none", () => {
  const timeLimit = new TimeLimit({ timeLimit: 5_000 });
  const broker = new RecordingBroker({ middleware: [timeLimit] });
  const limited = actor(function limited() {}, { broker, timeLimit: 2_000 });
  const plain = actor(function plain() {}, { broker });
  const unlimited = actor(function unlimited() {}, { broker, timeLimit: Infinity });
  expect(timeLimit.limitForActor(broker.getActor(limited.actorName))).toBe(2_000);
  expect(timeLimit.limitForActor(broker.getActor(plain.actorName))).toBe(5_000);
  expect(timeLimit.limitForActor(broker.getActor(unlimited.actorName))).toBeUndefined();
  expect(new TimeLimit().limitForActor(broker.getActor(plain.actorName))).toBe(600_000);
});

test("limitFor is undefined when there is no limit (null, Infinity, beyond a timer's range)", () => {
  const timeLimit = new TimeLimit();
  const broker = new RecordingBroker({ middleware: [timeLimit] });
  actor(function unlimited() {}, { broker, timeLimit: null as unknown as number });
  expect(timeLimit.limitFor(broker, proxy("unlimited"))).toBeUndefined();
  expect(timeLimit.limitFor(broker, proxy("unlimited", { time_limit: Infinity }))).toBeUndefined();
  expect(timeLimit.limitFor(broker, proxy("unlimited", { time_limit: 2 ** 31 }))).toBeUndefined();
});
