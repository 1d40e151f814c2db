/**
 * What the broker refuses and what it reports: URLs it cannot use fail at construction
 * with ConfigurationError (password masked), unix:// sockets work, and on a dedicated
 * server a refused wake-up subscription and failing heartbeats are logged (never
 * swallowed) and recovered from.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigurationError, QError, actor } from "@q/core";
import os from "node:os";
import path from "node:path";
import { mkdtempSync } from "node:fs";
import { RedisBroker } from "../src";
import { useHarness } from "./harness";
import { RedisServer } from "@q/test-support/redis-server";
import { LEVEL, captureLogger, silentLogger, waitFor } from "@q/test-support";
import { freshNamespace } from "@q/test-support/redis";

jest.setTimeout(30_000);

const h = useHarness();

describe("broker URLs", () => {
  it.each([
    ["redis:/127.0.0.1:6379", /^Invalid Redis URL "redis:\/127\.0\.0\.1:6379": no host/],
    ["http://127.0.0.1:6379", /^Invalid Redis URL "http:\/\/127\.0\.0\.1:6379": expected redis:\/\/, rediss:\/\/ or unix:\/\/, got http:\/\/\./],
    ["127.0.0.1:6379", /^Invalid Redis URL "127\.0\.0\.1:6379": not a URL\. Expected redis:\/\/host/],
    ["redis://127.0.0.1:6379/zero", /^Invalid Redis URL .*: the path must be a database number, got "\/zero"\./],
    ["unix://relative.sock", /^Invalid Redis URL "unix:\/\/relative\.sock": a unix:\/\/ URL needs an absolute socket path/],
    ["not a url", /^Invalid Redis URL "not a url": not a URL\./],
  ])("%s is refused with ConfigurationError", (url, message) => {
    let error: unknown;
    try {
      new RedisBroker({ url, logger: silentLogger() });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toBeInstanceOf(QError);
    expect((error as Error).message).toMatch(message);
  });

  it("an error about a URL never shows its password", () => {
    for (const url of ["http://user:hunter2@127.0.0.1:6379", "redis://:hunter2@/0", "redis://:hunter2@127.0.0.1/x"]) {
      expect(() => new RedisBroker({ url, logger: silentLogger() })).toThrow(ConfigurationError);
      try {
        new RedisBroker({ url, logger: silentLogger() });
      } catch (e) {
        expect((e as Error).message).not.toContain("hunter2");
        expect((e as Error).message).toContain(":****@");
      }
    }
  });

  it("a unix:// URL (with ?db=) reaches a server on its socket, and messages run", async () => {
    const socket = path.join(mkdtempSync(path.join(os.tmpdir(), "q-sock-")), "redis.sock");
    const server = await RedisServer.start({ args: ["--unixsocket", socket, "--unixsocketperm", "700"] });
    try {
      const broker = h.broker({ url: `unix://${socket}?db=2`, redisOptions: { disconnectTimeout: 100 } });
      const ran: number[] = [];
      const job = actor(function job(n: number) {
        ran.push(n);
      }, { broker, queueName: "sock" });
      await h.worker(broker);
      await job.send(7);
      await waitFor("the message to run", () => ran.length === 1);
      expect(ran).toEqual([7]);
      const db2 = server.client(2);
      expect(await db2.keys(`${broker.namespace}:*`)).toContain(`${broker.namespace}:__heartbeats__`);
      db2.disconnect();
      await broker.close();
    } finally {
      await server.destroy();
    }
  });
});

describe("errors that used to be swallowed", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it("a refused wake-up SUBSCRIBE is logged, the worker polls meanwhile, and it is subscribed again on the next reconnect", async () => {
    const admin = server.client();
    try {
      await admin.call("ACL", "SETUSER", "limited", "on", ">pw", "~*", "&*", "+@all", "-subscribe");
      const capture = captureLogger("info");
      const namespace = freshNamespace();
      const url = `redis://limited:pw@127.0.0.1:${server.port}`;
      const broker = h.broker({ url, namespace, logger: capture.logger, redisOptions: { disconnectTimeout: 100 } });
      const producer = h.broker({ url, namespace, redisOptions: { disconnectTimeout: 100 } });
      const started: number[] = [];
      for (const b of [broker, producer]) actor(function wake(t: number) {
        started.push(Date.now() - t);
      }, { broker: b, queueName: "wk" });
      // A long poll: only a wake-up starts a message soon after it is sent.
      await h.worker(broker, { timeout: 3000 });
      await waitFor("the refusal to be logged", () => capture.find(LEVEL.warn, /^Could not subscribe to .*__wakeup__\.wk: NOPERM/).length === 1);
      await sleep(3100); // the consumer is mid-poll
      await producer.getActor("wake").send(Date.now());
      await waitFor("the polled message", () => started.length === 1, { timeout: 5000 });

      await admin.call("ACL", "SETUSER", "limited", "+subscribe");
      await admin.call("CLIENT", "KILL", "USER", "limited"); // every connection of that user reconnects
      await waitFor("the re-subscription", async () => ((await admin.call("PUBSUB", "NUMSUB", `${namespace}:__wakeup__.wk`)) as [string, number])[1] === 1, { timeout: 10_000 });
      await sleep(200);
      for (let i = 0; i < 3; i++) {
        await sleep(500);
        await producer.getActor("wake").send(Date.now());
      }
      await waitFor("three woken messages", () => started.length === 4, { timeout: 10_000 });
      // Woken, not polled: each started well within the 3 s poll.
      expect(Math.max(...started.slice(1))).toBeLessThan(1000);
    } finally {
      admin.disconnect();
    }
  });

  it("failing heartbeats are warned about once per outage, again when heartbeatTimeout has passed, and their return is logged", async () => {
    const capture = captureLogger("debug");
    const broker = h.broker({
      url: server.url(),
      logger: capture.logger,
      operationTimeout: 300, // how long each failing heartbeat waits; not which code runs
      heartbeatTimeout: 2000,
      redisOptions: { disconnectTimeout: 100 },
    });
    actor(function beat() {}, { broker, queueName: "hb" });
    await h.worker(broker);
    await sleep(300);
    await server.stop();
    await waitFor("the overdue warning", () => capture.find(LEVEL.warn, /^No heartbeat for \d+ ms \(heartbeatTimeout 2000 ms\)/).length > 0, { timeout: 10_000 });
    await sleep(1000);
    await server.start();
    await waitFor("the heartbeat to come back", () => capture.find(LEVEL.info, /^Heartbeats to Redis are back\.$/).length > 0, { timeout: 10_000 });
    expect(capture.find(LEVEL.warn, /^Heartbeat failed \(.*\); after 2000 ms without one, other workers may run this worker's in-flight messages again\.$/)).toHaveLength(1);
    expect(capture.find(LEVEL.warn, /^No heartbeat for/)).toHaveLength(1);
  });
});
