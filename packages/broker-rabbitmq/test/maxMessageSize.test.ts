/**
 * maxMessageSize on RabbitMQ, with the default users get (16 MiB) and with the limit off:
 * a send over it throws MessageTooLarge and publishes nothing; a delivery over it that
 * another producer published is dead-lettered (rejected to .XQ) undecoded, with its
 * message id in the log line.
 */
import { ConfigurationError, DEFAULT_MAX_MESSAGE_SIZE, Message, MessageTooLarge, actor } from "@q/core";
import { LEVEL, captureLogger } from "@q/test-support";
import { useHarness } from "./harness";

jest.setTimeout(30_000);

const h = useHarness();

/** A message for `sized(n, padding)` whose encoding is exactly `bytes` long. */
function sized(queueName: string, n: number, bytes: number): Message {
  const probe = new Message({ queueName, actorName: "sized", args: [n, ""] });
  return new Message({ queueName, actorName: "sized", args: [n, "x".repeat(bytes - probe.encode().length)], messageId: probe.messageId });
}

describe("maxMessageSize on RabbitMQ", () => {
  it("defaults to 16 MiB: a bigger send throws MessageTooLarge and publishes nothing, the queue keeps what it had", async () => {
    const queue = h.queue("big");
    const broker = h.broker();
    expect(broker.maxMessageSize).toBe(DEFAULT_MAX_MESSAGE_SIZE);
    const seen: number[] = [];
    actor(function sized(n: number, _padding: string) {
      seen.push(n);
    }, { broker, queueName: queue });
    await broker.enqueue(new Message({ queueName: queue, actorName: "sized", args: [1, ""] }));
    const tooBig = sized(queue, 2, DEFAULT_MAX_MESSAGE_SIZE + 1);
    const error = await broker.enqueue(tooBig).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLarge);
    expect(error).toMatchObject({ messageId: tooBig.messageId, size: DEFAULT_MAX_MESSAGE_SIZE + 1, limit: DEFAULT_MAX_MESSAGE_SIZE });
    await expect(broker.enqueueMany([sized(queue, 3, 300), tooBig, sized(queue, 4, 300)])).rejects.toBeInstanceOf(MessageTooLarge);
    expect((await h.python.settled(queue)).map((m) => Message.decode(m.body).args[0])).toEqual([1]);
    // Exactly the limit is sent and runs (RabbitMQ adds no options).
    await broker.enqueue(sized(queue, 5, DEFAULT_MAX_MESSAGE_SIZE));
    await h.worker(broker);
    await broker.join(queue, { timeout: 20_000 });
    expect(seen.sort()).toEqual([1, 5]);
    expect(await h.python.count(`${queue}.XQ`)).toBe(0);
  });

  it("dead-letters a received delivery over the limit without running it, logging its message id, and runs the messages around it once each", async () => {
    const queue = h.queue("big");
    const { logger, find } = captureLogger("info");
    const broker = h.broker({ logger, maxMessageSize: 64 * 1024 });
    const seen: number[] = [];
    const sizedActor = actor(function sized(n: number, _padding: string) {
      seen.push(n);
    }, { broker, queueName: queue });
    await h.python.declare(queue);
    const oversize = sized(queue, 2, 64 * 1024 + 1);
    await sizedActor.send(1, "");
    await h.python.publish(queue, oversize.encode());
    await sizedActor.send(3, "");
    await h.worker(broker);
    await broker.join(queue, { timeout: 10_000 });
    expect(seen.sort()).toEqual([1, 3]);
    const dead = await h.python.settled(`${queue}.XQ`);
    expect(dead).toHaveLength(1);
    expect(dead[0]!.body.equals(oversize.encode())).toBe(true);
    expect(find(LEVEL.error, new RegExp(`^Message ${oversize.messageId} on ${queue} \\(delivery \\d+\\) is 65537 bytes, over the broker's maxMessageSize of 65536 bytes`))).toHaveLength(1);
  });

  it("with maxMessageSize null sends and runs a 17 MiB message", async () => {
    const queue = h.queue("big");
    const broker = h.broker({ maxMessageSize: null });
    const seen: number[] = [];
    actor(function sized(n: number, _padding: string) {
      seen.push(n);
    }, { broker, queueName: queue });
    await broker.enqueue(sized(queue, 7, 17 * 1024 * 1024));
    await h.worker(broker);
    await broker.join(queue, { timeout: 20_000 });
    expect(seen).toEqual([7]);
  });

  it.each([0, -1, 1.5, NaN, "16MB"])("rejects maxMessageSize %p with ConfigurationError", (value) => {
    expect(() => h.broker({ maxMessageSize: value as number })).toThrow(ConfigurationError);
  });
});
