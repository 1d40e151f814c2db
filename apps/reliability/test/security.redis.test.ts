/**
 * Security on Redis: real `q` workers on a server of the suite's own that requires a
 * password, has an ACL user and listens for TLS with a certificate of a CA the test made.
 * Every message runs exactly once on each; wrong credentials and an untrusted certificate
 * make `q` exit 3 with a message naming the cause; no password ever shows in a log line
 * or an error message, through connect failures, server-side connection kills and bad URLs.
 */
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { actor, ConfigurationError, ConnectionFailed } from "@q/core";
import { validateRedisUrl } from "@q/core/broker";
import { RedisBroker, type RedisBrokerOptions } from "@q/broker-redis";
import { ConcurrentRateLimiter } from "@q/rate-limits";
import { RedisRateLimiterBackend } from "@q/rate-limits/redis";
import { RedisResultBackend } from "@q/results/redis";
import { ExitCode } from "@q/cli";
import { captureLogger, type CapturedLogs } from "@q/test-support";
import { RedisServer } from "@q/test-support/redis-server";
import { killAllQ, type QRun, waitReady } from "@q/test-support/q-process";
import { makeCertificates, type TestCertificates } from "./support/certificates";
import { startQ } from "./support/chaosQ";
import { recordFigure } from "./support/figures";
import { sendBatch } from "./support/sendBatch";
import { Ledger } from "./support/ledger";

// Distinctive, so a leak cannot hide behind a common word. The ACL user may touch only the
// keys and channels of its namespaces (q-sec-*), as the broker README recommends.
const PASSWORD = "Pw-default-7fQz2Lx9";
const ACL_USER = "q-worker";
const ACL_PASSWORD = "Pw-acl-K3vN8sRt";
const WRONG_PASSWORD = "Pw-wrong-Y6hJ1cWe";
const SECRETS = [PASSWORD, ACL_PASSWORD, WRONG_PASSWORD];
const N = 200;

let certs: TestCertificates;
let server: RedisServer;
/** Every log line and error text this file saw: q's stderr and the in-process brokers' logs. */
const seen: string[] = [];
const runs: QRun[] = [];
const brokers: RedisBroker[] = [];

beforeAll(async () => {
  certs = await makeCertificates();
  server = await RedisServer.start({ password: PASSWORD, users: [{ name: ACL_USER, password: ACL_PASSWORD, rules: "~q-sec-* &q-sec-* +@all" }], tls: certs });
});

afterEach(async () => {
  for (const q of runs.splice(0)) seen.push(...q.lines, ...q.stdout);
  await Promise.all(brokers.splice(0).map((b) => b.close()));
  await killAllQ();
});

afterAll(async () => {
  await server?.destroy();
  certs?.remove();
});

/** An in-process broker whose log lines are kept in `seen` at the end. */
function broker(url: string, options: RedisBrokerOptions = {}): { broker: RedisBroker; logs: CapturedLogs } {
  const logs = captureLogger("debug");
  const b = new RedisBroker({ url, namespace: `q-sec-${Math.random().toString(36).slice(2, 8)}`, logger: logs.logger, ...options });
  brokers.push(b);
  afterLogs.push(logs);
  return { broker: b, logs };
}
const afterLogs: CapturedLogs[] = [];

function logText(logs: CapturedLogs): string[] {
  return logs.lines.map((l) => JSON.stringify(l));
}

/**
 * Sends on in-process brokers with a wrong password and an untrusted certificate; started
 * while the q processes of the exit-3 test wait out their connect timeout (the two waits
 * overlap), checked by the test after it.
 */
let inProcessRefusals: Promise<(Error | undefined)[]> | undefined;
function startInProcessRefusals(): Promise<(Error | undefined)[]> {
  const urls = [server.url({ user: ACL_USER, password: WRONG_PASSWORD }), server.url({ user: ACL_USER, password: ACL_PASSWORD, tls: true })];
  return Promise.all(
    urls.map(async (url) => {
      const logs = captureLogger("debug");
      afterLogs.push(logs);
      const b = new RedisBroker({ url, logger: logs.logger });
      const work = actor(function chaos_work(_i: number) {}, { broker: b, queueName: "sec-never" });
      try {
        await work.send(1);
        return undefined;
      } catch (error) {
        return error as Error;
      } finally {
        await b.close();
      }
    }),
  );
}

const VARIANTS = [
  { name: "the default user's password", url: () => server.url(), tls: false },
  { name: "an ACL user", url: () => server.url({ user: ACL_USER, password: ACL_PASSWORD }), tls: false },
  { name: "an ACL user over TLS (rediss://, CA trusted via NODE_EXTRA_CA_CERTS)", url: () => server.url({ user: ACL_USER, password: ACL_PASSWORD, tls: true }), tls: true },
] as const;

describe("q on a Redis that requires credentials and TLS", () => {
  it.each(VARIANTS)("processes every message exactly once with $name, also after Redis kills its connections", async ({ url, tls }) => {
    const ledger = await Ledger.open();
    try {
      const queue = `sec-${Math.random().toString(36).slice(2, 8)}`;
      // In-process, the CA is given as an option: NODE_EXTRA_CA_CERTS is read only when Node starts.
      const { broker: producer } = broker(url(), tls ? { redisOptions: { tls: { ca: readFileSync(certs.ca) } } } : {});
      await sendBatch(producer, queue, 0, N / 2);
      const q = startQ({
        broker: "redis",
        url: url(),
        namespace: producer.namespace,
        queue,
        processes: 1,
        args: ["-v"],
        env: { ...ledger.env, ...(tls ? { NODE_EXTRA_CA_CERTS: certs.ca } : {}) },
      });
      runs.push(q);
      await waitReady(q, 1);
      await ledger.waitForAll(N / 2, 30_000);
      // Every client connection (the worker's, its wake-up subscription, the producer's) dropped server-side.
      const admin = server.client();
      try {
        const kill = (type: string) => admin.call("CLIENT", "KILL", "TYPE", type, "SKIPME", "yes");
        const killed = Number(await kill("normal")) + Number(await kill("pubsub"));
        expect(killed).toBeGreaterThanOrEqual(3); // the producer's, the worker's and its subscription at least
      } finally {
        admin.disconnect();
      }
      await sendBatch(producer, queue, N / 2, N);
      await ledger.waitForAll(N, 60_000);
      await producer.join(queue, { timeout: 10_000 });
      expect(await ledger.summary(N)).toEqual({ processed: N, missing: [], duplicates: 0, duplicated: [] });
      q.proc.kill("SIGTERM");
      expect(await q.exitCode(20_000)).toBe(ExitCode.OK);
    } finally {
      await ledger.close();
    }
  });

  it("the results and rate-limits Redis backends work over TLS as an ACL user", async () => {
    const url = server.url({ user: ACL_USER, password: ACL_PASSWORD, tls: true });
    const redisOptions = { tls: { ca: readFileSync(certs.ca) } };
    const results = new RedisResultBackend({ url, redisOptions, namespace: "q-sec-results", useNamespacePrefixKeys: true }) // keys the ACL user may touch;
    const limits = new RedisRateLimiterBackend({ url, redisOptions });
    try {
      const message = { queueName: "sec", actorName: "chaos_work", messageId: `m-${Date.now()}` };
      await results.storeResult(message, { ok: 42 }, 60_000);
      expect(await results.getResult(message)).toEqual({ ok: 42 });
      const mutex = new ConcurrentRateLimiter(limits, `q-sec-mutex-${Date.now()}`, { limit: 1 });
      let ran = 0;
      await mutex.acquire(async () => {
        ran++;
      });
      expect(ran).toBe(1);
    } finally {
      await results.close();
      await limits.close();
    }
    // Refused: the errors users get (and may print whole) never hold the password.
    const badUrl = server.url({ user: ACL_USER, password: WRONG_PASSWORD, tls: true });
    const badResults = new RedisResultBackend({ url: badUrl, redisOptions, namespace: "q-sec-results", useNamespacePrefixKeys: true });
    const badLimits = new RedisRateLimiterBackend({ url: badUrl, redisOptions });
    try {
      const message = { queueName: "sec", actorName: "chaos_work", messageId: "m-refused" };
      const errors: (Error | undefined)[] = await Promise.all([
        badResults.getResult(message).then(
          () => undefined,
          (e: unknown) => e as Error,
        ),
        new ConcurrentRateLimiter(badLimits, "q-sec-refused", { limit: 1 }).acquire(async () => undefined).then(
          () => undefined,
          (e: unknown) => e as Error,
        ),
      ]);
      for (const e of errors) {
        expect(e).toBeInstanceOf(ConnectionFailed);
        expect(e!.message).toMatch(/refused the credentials/);
        seen.push(e!.message, String(e!.stack), inspect(e, { depth: 5 }));
      }
    } finally {
      await badResults.close();
      await badLimits.close();
    }
  });

  it("exits 3 naming the cause for a wrong password, a wrong ACL password, an unknown user and an untrusted certificate", async () => {
    inProcessRefusals = startInProcessRefusals();
    const cases = [
      { name: "wrong password", url: server.url({ password: WRONG_PASSWORD }), env: {}, cause: /refused the credentials: WRONGPASS/ },
      { name: "wrong ACL password", url: server.url({ user: ACL_USER, password: WRONG_PASSWORD }), env: {}, cause: /refused the credentials: WRONGPASS/ },
      { name: "unknown ACL user", url: server.url({ user: "nobody", password: WRONG_PASSWORD }), env: {}, cause: /refused the credentials: WRONGPASS/ },
      // No NODE_EXTRA_CA_CERTS: the server's certificate is signed by a CA nobody trusts.
      { name: "untrusted certificate", url: server.url({ user: ACL_USER, password: ACL_PASSWORD, tls: true }), env: {}, cause: /certificate.*NODE_EXTRA_CA_CERTS/i },
    ];
    // Default connect settings (connectTimeout 5 s): all four at once, each timed from its start.
    const results = await Promise.all(
      cases.map(async (c) => {
        const started = Date.now();
        const q = startQ({ broker: "redis", url: c.url, queue: "sec-never", processes: 1, args: ["-v"], env: c.env });
        runs.push(q);
        const code = await q.exitCode(30_000);
        return { ...c, code, ms: Date.now() - started, lines: q.lines };
      }),
    );
    for (const r of results) {
      const fatal = r.lines.filter((l) => /Broker connection failed/.test(l));
      expect({ name: r.name, code: r.code }).toEqual({ name: r.name, code: ExitCode.BROKER_CONNECTION });
      expect(fatal.length).toBeGreaterThan(0);
      expect(fatal.join("\n")).toMatch(r.cause);
      process.stderr.write(`[${r.name}] exit ${r.code} after ${r.ms} ms: ${fatal[0]}\n`);
    }
    recordFigure("redis.security.badCredentialsExitMs", Object.fromEntries(results.map((r) => [r.name, r.ms])));
  });

  it("exits 2 on a URL that does not parse, without the password in what it prints", async () => {
    // A password with an unencoded "/": the URL does not parse.
    const q = startQ({ broker: "redis", url: `redis://u:${PASSWORD}/x@127.0.0.1:${server.port}`, queue: "sec-never", processes: 1, args: ["-v"] });
    runs.push(q);
    expect(await q.exitCode(20_000)).toBe(ExitCode.IMPORT_OR_USAGE);
    expect(q.lines.join("\n")).toMatch(/ConfigurationError/);
  });

  it("a broker in-process fails a send with ConnectionFailed naming the refusal, never the password", async () => {
    const [refused, untrusted] = await inProcessRefusals!;
    expect(refused).toBeInstanceOf(ConnectionFailed);
    expect(refused!.message).toMatch(/WRONGPASS/);
    expect(untrusted).toBeInstanceOf(ConnectionFailed);
    expect(untrusted!.message).toMatch(/certificate/i);
    for (const e of [refused!, untrusted!]) seen.push(e.message, String(e.stack), inspect(e, { depth: 5 }));
  });

  it("bad Redis URLs throw ConfigurationError without the password in the message", () => {
    const bad = [
      `redis://u:${PASSWORD}@127.0.0.1:6379/notadb`,
      `http://u:${PASSWORD}@127.0.0.1:6379`,
      `redis://:${PASSWORD}@/0`,
      // Reserved characters left unencoded: the URL does not parse, or parses oddly.
      `redis://u:${PASSWORD}/x@127.0.0.1:6379`,
      `redis://u:${PASSWORD}@x@127.0.0.1:6379/db`,
      `redis://u:${PASSWORD}#x@127.0.0.1:6379`,
      `redis://u:${PASSWORD}?x@127.0.0.1:6379`,
      `redis://${PASSWORD}@127.0.0.1:6379/zz`,
    ];
    for (const url of bad) {
      let error: unknown;
      try {
        validateRedisUrl(url);
      } catch (e) {
        error = e;
      }
      expect({ url, error }).toEqual({ url, error: expect.any(ConfigurationError) });
      // inspect: what console.log(error) prints, causes and their properties included.
      seen.push((error as Error).message, String((error as Error).stack), inspect(error, { depth: 5 }));
    }
  });

  it("no password appeared in any log line or error text of this file", () => {
    for (const logs of afterLogs) seen.push(...logText(logs));
    // Guard against a vacuous pass: the lines above include connection errors and reconnects.
    expect(seen.some((l) => /WRONGPASS/.test(l))).toBe(true);
    expect(seen.some((l) => /Reconnected to Redis|reconnecting/i.test(l))).toBe(true);
    for (const secret of SECRETS) {
      const leaks = seen.filter((l) => l.includes(secret) || l.includes(encodeURIComponent(secret)));
      expect({ secret, leaks }).toEqual({ secret, leaks: [] });
    }
  });
});
