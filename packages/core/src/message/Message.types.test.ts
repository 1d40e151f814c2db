/**
 * Compile-time checks of Message<R>, run by `tsc -p tsconfig.test.json` (as for actor()):
 * every `@ts-expect-error` line must fail to type-check, every other line must type-check.
 * The function is never called.
 */
import { actor } from "../actor/declareActor";
import type { Broker } from "../broker/Broker";
import { Message } from "./Message";
import type { MessageData } from "./MessageData";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<_T extends true>(): void {}

function typeAssertions(broker: Broker, bytes: Buffer): void {
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  const title = actor(async function title(url: string): Promise<string> {
    return url;
  }, { broker });

  // --- R is the actor's awaited result, and it stays through copies -------------------
  const m = add.message(1, 2);
  // The second parameter is what a pipeline may append: nothing (never) once every argument is given.
  assertType<Equal<typeof m, Message<number, never>>>();
  assertType<Equal<ReturnType<typeof title.message<[]>>, Message<string, string>>>();
  assertType<Equal<ReturnType<typeof add.message<[number]>>, Message<number, number>>>();
  assertType<Equal<ReturnType<typeof m.copy>, Message<number, never>>>();
  assertType<Equal<ReturnType<typeof add.messageWithOptions>, Message<number, any>>>();

  // A message of any result is a Message (pipelines, groups and brokers take those) ...
  const any: Message = m;
  const list: readonly Message[] = [m, title.message("https://example.com")];
  // ... but results do not mix: a Message<number> is not a Message<string>,
  // @ts-expect-error the result is a number
  const asString: Message<string> = m;
  // and a message of unknown result is not a Message<number>.
  // @ts-expect-error decoded messages carry no result type
  const decoded: Message<number> = Message.decode(bytes);
  assertType<Equal<ReturnType<typeof Message.decode>, Message<unknown>>>();
  assertType<Equal<ReturnType<typeof Message.fromDict>, Message<unknown>>>();
  void any;
  void list;
  void asString;
  void decoded;

  // --- new Message: the queue and actor are required, the rest typed -----------------
  const built = new Message({ queueName: "default", actorName: "py_actor", args: [1], kwargs: { x: 2 } });
  assertType<Equal<typeof built, Message<unknown>>>();
  const typed = new Message<number>({ queueName: "default", actorName: "add", args: [1, 2] });
  assertType<Equal<typeof typed, Message<number>>>();
  void built;
  void typed;
  // @ts-expect-error the actor name is required
  new Message({ queueName: "default" });
  // @ts-expect-error the queue name is a string
  new Message({ queueName: 1, actorName: "add" });
  // @ts-expect-error args are an array
  new Message({ queueName: "default", actorName: "add", args: 1 });
  // @ts-expect-error the timestamp is a number of milliseconds
  new Message({ queueName: "default", actorName: "add", messageTimestamp: new Date() });

  // --- immutable: no field can be assigned, no list or map changed in place -----------
  // @ts-expect-error readonly
  m.messageId = "other";
  // @ts-expect-error readonly
  m.queueName = "other";
  // @ts-expect-error readonly array
  m.args.push(3);
  // @ts-expect-error readonly record
  m.options.max_retries = 3;
  // @ts-expect-error readonly record
  m.kwargs.x = 1;
  // copy() takes the changes it knows, typed
  m.copy({ queueName: "other", options: { max_retries: 3 } });
  // @ts-expect-error the message id and timestamp identify the job: copy() keeps them
  m.copy({ messageId: "other" });
  // @ts-expect-error options are a record, not a list
  m.copy({ options: [1] });

  // --- the wire dict ------------------------------------------------------------------
  const dict: MessageData = m.toDict();
  assertType<Equal<typeof dict.queue_name, string>>();
  void dict;
  assertType<Equal<ReturnType<typeof m.encode>, Buffer>>();
  // @ts-expect-error a class instance cannot be faked with an object literal (Message has private parts)
  const fake: Message = { queueName: "default", actorName: "add", args: [], kwargs: {}, options: {}, messageId: "x", messageTimestamp: 1 };
  void fake;
}

describe("Message<R> types", () => {
  it("are checked by tsc (this file's assertions compile)", () => {
    expect(typeof typeAssertions).toBe("function");
  });
});
