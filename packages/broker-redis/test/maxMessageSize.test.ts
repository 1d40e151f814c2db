/**
 * maxMessageSize on Redis, with the default users get (16 MiB) and with the limit off:
 * a send over it throws MessageTooLarge and writes nothing; a payload over it that another
 * producer wrote is dead-lettered undecoded, with its message id in the log line.
 */
import { ConfigurationError, DEFAULT_MAX_MESSAGE_SIZE, Message, MessageTooLarge, actor } from "@q/core";
import { LEVEL, captureLogger } from "@q/test-support";
import { keysOf, rawEnqueue, useHarness } from "./harness";

jest.setTimeout(30_000);

const h = useHarness();

/** A message for `sized(n, padding)` whose encoding is exactly `bytes` long (before broker-added options). */
function sized(queueName: string, n: number, bytes: number): Message {
  const probe = new Message({ queueName, actorName: "sized", args: [n, ""] });
  return new Message({ queueName, actorName: "sized", args: [n, "x".repeat(bytes - probe.encode().length)], messageId: probe.messageId });
}

describe("maxMessageSize on Redis", () => {
  it("defaults to 16 MiB: a bigger send throws MessageTooLarge and writes nothing, the queue keeps what it had", async () => {
    const broker = h.broker();
    expect(broker.maxMessageSize).toBe(DEFAULT_MAX_MESSAGE_SIZE);
    expect(DEFAULT_MAX_MESSAGE_SIZE).toBe(16 * 1024 * 1024);
    const k = keysOf(broker.namespace, "big");
    const seen: number[] = [];
    actor(function sized(n: number, _padding: string) {
      seen.push(n);
    }, { broker, queueName: "big" });
    const before = await broker.enqueue(new Message({ queueName: "big", actorName: "sized", args: [1, ""] }));
    const tooBig = sized("big", 2, DEFAULT_MAX_MESSAGE_SIZE + 1);
    const error = await broker.enqueue(tooBig).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLarge);
    expect((error as MessageTooLarge).messageId).toBe(tooBig.messageId);
    expect((error as MessageTooLarge).limit).toBe(DEFAULT_MAX_MESSAGE_SIZE);
    // The broker's redis_message_id option makes it a little bigger than built.
    expect((error as MessageTooLarge).size).toBeGreaterThan(DEFAULT_MAX_MESSAGE_SIZE + 1);
    await expect(broker.enqueueMany([sized("big", 3, 300), tooBig, sized("big", 4, 300)])).rejects.toBeInstanceOf(MessageTooLarge);
    expect(await h.redis.lrange(k.queue, 0, -1)).toEqual([before.options.redis_message_id]);
    expect(await h.redis.hlen(k.msgs)).toBe(1);
    // 1 MiB below the limit is sent and runs.
    await broker.enqueue(sized("big", 5, DEFAULT_MAX_MESSAGE_SIZE - 1024 * 1024));
    await h.worker(broker);
    await broker.join("big", { timeout: 20_000 });
    expect(seen.sort()).toEqual([1, 5]);
    expect(await broker.getDeadLetters("big")).toEqual([]);
  });

  it("dead-letters a received payload over the limit without running it, logging its message id, and runs the messages around it once each", async () => {
    const { logger, find } = captureLogger("info");
    const broker = h.broker({ logger, maxMessageSize: 64 * 1024 });
    const seen: number[] = [];
    const sizedActor = actor(function sized(n: number, _padding: string) {
      seen.push(n);
    }, { broker, queueName: "big" });
    const oversize = sized("big", 2, 64 * 1024 + 1);
    await sizedActor.send(1, "");
    await rawEnqueue(h.redis, broker.namespace, "big", "foreign-1", oversize.encode());
    await sizedActor.send(3, "");
    await h.worker(broker);
    await broker.join("big", { timeout: 10_000 });
    expect(seen.sort()).toEqual([1, 3]);
    const dead = await broker.getDeadLetters("big");
    expect(dead.map((d) => d.id)).toEqual(["foreign-1"]);
    expect(dead[0]!.data.equals(oversize.encode())).toBe(true);
    const lines = find(LEVEL.error, `Message ${oversize.messageId} (entry foreign-1) on big is 65537 bytes, over the broker's maxMessageSize of 65536 bytes`);
    expect(lines).toHaveLength(1);
  });

  it("with maxMessageSize null sends and runs a 17 MiB message", async () => {
    const broker = h.broker({ maxMessageSize: null });
    expect(broker.maxMessageSize).toBeNull();
    const seen: number[] = [];
    actor(function sized(n: number, _padding: string) {
      seen.push(n);
    }, { broker, queueName: "big" });
    await broker.enqueue(sized("big", 7, 17 * 1024 * 1024));
    await h.worker(broker);
    await broker.join("big", { timeout: 20_000 });
    expect(seen).toEqual([7]);
  });

  it.each([0, -1, 1.5, NaN, "16MB"])("rejects maxMessageSize %p with ConfigurationError", (value) => {
    expect(() => h.broker({ maxMessageSize: value as number })).toThrow(ConfigurationError);
  });
});
