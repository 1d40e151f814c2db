import pino from "pino";
import type { Actor } from "../actor/Actor";
import { Broker } from "../broker/Broker";
import type { Consumer } from "../broker/Consumer";
import { Message } from "../message/Message";
import { MessageProxy } from "../message/MessageProxy";
import { messageOption, warnInvalid } from "./messageOption";

/** A broker that only logs (the helpers need no more). */
class LoggingBroker extends Broker {
  consume(): Consumer {
    throw new Error("not used");
  }
  async flush(): Promise<void> {}
  async flushAll(): Promise<void> {}
  async join(): Promise<void> {}
  async close(): Promise<void> {}
  protected async publish(): Promise<void> {}
}

const actorWith = (options: Record<string, unknown>) => ({ options }) as unknown as Actor<any, any>;
const proxy = (options: Record<string, unknown>) =>
  new MessageProxy(new Message({ queueName: "default", actorName: "work", options, messageId: "m-1" }));

describe("messageOption", () => {
  let broker: LoggingBroker;
  let lines: { level: number; name: string; msg: string }[];
  beforeEach(() => {
    const logged: typeof lines = (lines = []);
    broker = new LoggingBroker({ middleware: [], logger: pino({ level: "debug" }, { write: (line: string) => void logged.push(JSON.parse(line)) }) });
  });
  const read = (message: MessageProxy, actor: Actor<any, any> | undefined, name: string, fallback: unknown) =>
    messageOption(broker, "q.test", message, actor, name, fallback);

  it.each<[string, unknown[]]>([
    ["maxRetries", [0, 3, null, Infinity]],
    ["minBackoff", [0, 10, 1.5]],
    ["maxBackoff", [0, 604800000]],
    ["timeLimit", [1, 0.5, 600000, Infinity, null]],
    ["maxAge", [0, 60000, Infinity, null]],
    ["notifyShutdown", [true, false, null]],
    ["pipeIgnore", [true, false, null]],
    ["onSuccess", ["done", null]],
    ["onFailure", ["failed", null]],
    ["onRetryExhausted", ["gave_up", null]],
  ])("uses a valid message value of %s, quietly", (name, values) => {
    for (const value of values) {
      const wire = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      expect(read(proxy({ [wire]: value }), actorWith({ [name]: "actor's" }), name, "default")).toBe(value);
    }
    expect(lines).toEqual([]);
  });

  it.each<[string, string, unknown[]]>([
    ["maxRetries", "max_retries", ["lots", -1, 1.5, NaN, -Infinity, true, {}, [3]]],
    ["minBackoff", "min_backoff", ["soon", -1, NaN, Infinity, null]],
    ["maxBackoff", "max_backoff", ["week", -5, Infinity, null]],
    ["timeLimit", "time_limit", ["soon", 0, -1, NaN, -Infinity, "600000"]],
    ["maxAge", "max_age", ["old", -1, NaN]],
    ["notifyShutdown", "notify_shutdown", ["yes", 1, 0]],
    ["pipeIgnore", "pipe_ignore", ["true", 1]],
    ["onSuccess", "on_success", [5, true, { actor: "x" }]],
    ["onFailure", "on_failure", [5]],
    ["onRetryExhausted", "on_retry_exhausted", [[]]],
  ])("ignores a bad message value of %s: the actor's option applies, with one warning naming the message, option and value", (name, wire, values) => {
    for (const value of values) {
      lines.length = 0;
      const message = proxy({ [wire]: value });
      expect(read(message, actorWith({ [name]: 7 }), name, 20)).toBe(7);
      expect(read(message, actorWith({ [name]: 7 }), name, 20)).toBe(7); // read again: no second warning
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 40, name: "q.test" });
      expect(lines[0]!.msg).toMatch(new RegExp(`^Message m-1 has an invalid ${wire} option .+ \\(expected .+; using the actor's ${name} \\(7\\) instead\\)\\.$`));
    }
  });

  it("falls back to the default when the actor has no such option, and says so", () => {
    const message = proxy({ max_retries: "lots" });
    expect(read(message, actorWith({}), "maxRetries", 20)).toBe(20);
    expect(read(proxy({ time_limit: NaN }), undefined, "timeLimit", 600000)).toBe(600000);
    expect(lines.map((l) => l.msg)).toEqual([
      'Message m-1 has an invalid max_retries option "lots" (expected a non-negative integer, or null to retry forever; using the default (20) instead).',
      "Message m-1 has an invalid time_limit option NaN (expected a positive number of milliseconds, Infinity or null; using the default (600000) instead).",
    ]);
  });

  it("reads like readOption when the message has no such option", () => {
    expect(read(proxy({}), actorWith({ maxRetries: 2 }), "maxRetries", 20)).toBe(2);
    expect(read(proxy({}), actorWith({}), "maxRetries", 20)).toBe(20);
    expect(read(proxy({ custom_thing: "anything" }), undefined, "customThing", 1)).toBe("anything");
    expect(lines).toEqual([]);
  });

  it("warns again for another delivery of the same message", () => {
    read(proxy({ max_age: "old" }), undefined, "maxAge", null);
    read(proxy({ max_age: "old" }), undefined, "maxAge", null);
    expect(lines).toHaveLength(2);
  });

  it("cuts a long bad value short in the warning", () => {
    warnInvalid(broker, "q.test", proxy({}), "pipe_target", "x".repeat(1000), "stops");
    expect(lines[0]!.msg.length).toBeLessThan(300);
    expect(lines[0]!.msg).toContain("…");
  });
});
