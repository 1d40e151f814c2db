/**
 * Security on RabbitMQ: real `q` workers on a node of the suite's own, as a user of their
 * own (not guest) on a vhost of its own, in plain AMQP and over TLS (amqps://) with a
 * certificate of a CA the test made. Every message runs exactly once on each; an unknown
 * user, a wrong password, a vhost without permissions and an untrusted certificate make
 * `q` exit 3 with a message naming the cause; no password ever shows in a log line or an
 * error message, through connect failures, server-side connection closes and bad URLs.
 */
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { actor, ConfigurationError, ConnectionFailed } from "@q/core";
import { RabbitmqBroker, type RabbitmqBrokerOptions } from "@q/broker-rabbitmq";
import { ExitCode } from "@q/cli";
import { captureLogger, type CapturedLogs } from "@q/test-support";
import { RabbitServer } from "@q/test-support/rabbit-server";
import { killAllQ, type QRun, waitReady } from "@q/test-support/q-process";
import { makeCertificates, type TestCertificates } from "./support/certificates";
import { startQ } from "./support/chaosQ";
import { recordFigure } from "./support/figures";
import { sendBatch } from "./support/sendBatch";
import { Ledger } from "./support/ledger";

// Distinctive, so a leak cannot hide behind a common word.
const USER = "q-worker";
const PASSWORD = "Pw-rabbit-9GmT4qXa";
const WRONG_PASSWORD = "Pw-wrong-R2dU7nBk";
const SECRETS = [PASSWORD, WRONG_PASSWORD];
const VHOST = "q-security";
const N = 200;

let certs: TestCertificates;
let server: RabbitServer;
/** Every log line and error text this file saw: q's stderr and the in-process brokers' logs. */
const seen: string[] = [];
const runs: QRun[] = [];
const brokers: RabbitmqBroker[] = [];
const logsSeen: CapturedLogs[] = [];

beforeAll(async () => {
  certs = await makeCertificates();
  // One node for the whole file (a start-up costs seconds).
  server = await RabbitServer.start({ tls: certs });
  await server.addUser(USER, PASSWORD, VHOST);
}, 90_000);

afterEach(async () => {
  for (const q of runs.splice(0)) seen.push(...q.lines, ...q.stdout);
  await Promise.all(brokers.splice(0).map((b) => b.close()));
  await killAllQ();
});

afterAll(async () => {
  await server?.destroy();
  certs?.remove();
});

/** An in-process broker whose log lines are checked at the end. */
function broker(url: string, options: RabbitmqBrokerOptions = {}): RabbitmqBroker {
  const logs = captureLogger("debug");
  const b = new RabbitmqBroker({ url, logger: logs.logger, confirmDelivery: true, ...options });
  brokers.push(b);
  logsSeen.push(logs);
  return b;
}

/**
 * Sends on in-process brokers with a wrong password and an untrusted certificate; started
 * while the q processes of the exit-3 test wait out their connect timeout (the two waits
 * overlap), checked by the test after it.
 */
let inProcessRefusals: Promise<(Error | undefined)[]> | undefined;
function startInProcessRefusals(): Promise<(Error | undefined)[]> {
  const publishTimeout = 10_000; // the connect timeout's default: the first connection gets no longer either way
  const urls = [server.url(VHOST, { user: USER, password: WRONG_PASSWORD }), server.url(VHOST, { user: USER, password: PASSWORD, tls: true })];
  return Promise.all(
    urls.map(async (url) => {
      const logs = captureLogger("debug");
      logsSeen.push(logs);
      const b = new RabbitmqBroker({ url, logger: logs.logger, confirmDelivery: true, publishTimeout });
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
  { name: "its own user on its own vhost", url: () => server.url(VHOST, { user: USER, password: PASSWORD }), tls: false },
  { name: "its own user over TLS (amqps://, CA trusted via NODE_EXTRA_CA_CERTS)", url: () => server.url(VHOST, { user: USER, password: PASSWORD, tls: true }), tls: true },
] as const;

describe("q on a RabbitMQ with a user of its own and TLS", () => {
  it.each(VARIANTS)("processes every message exactly once as $name, also after RabbitMQ closes its connections", async ({ url, tls }) => {
    const ledger = await Ledger.open();
    try {
      const queue = `sec-${Math.random().toString(36).slice(2, 8)}`;
      // In-process, the CA is given as a socket option: NODE_EXTRA_CA_CERTS is read only when Node starts.
      const producer = broker(url(), tls ? { socketOptions: { ca: [readFileSync(certs.ca)] } } : {});
      await sendBatch(producer, queue, 0, N / 2);
      const q = startQ({ broker: "rabbitmq", url: url(), queue, processes: 1, args: ["-v"], env: { ...ledger.env, ...(tls ? { NODE_EXTRA_CA_CERTS: certs.ca } : {}) } });
      runs.push(q);
      await waitReady(q, 1, 30_000);
      await ledger.waitForAll(N / 2, 30_000);
      expect(await server.closeConnections("closed by the security test")).toBeGreaterThanOrEqual(2);
      await sendBatch(producer, queue, N / 2, N);
      await ledger.waitForAll(N, 60_000);
      await producer.join(queue, { timeout: 15_000 });
      expect(await ledger.summary(N)).toEqual({ processed: N, missing: [], duplicates: 0, duplicated: [] });
      q.proc.kill("SIGTERM");
      expect(await q.exitCode(20_000)).toBe(ExitCode.OK);
      expect(q.lines.some((l) => /Lost the connection to RabbitMQ/.test(l))).toBe(true);
    } finally {
      await ledger.close();
    }
  });

  it("exits 3 naming the cause for an unknown user, a wrong password, a vhost without permissions and an untrusted certificate", async () => {
    inProcessRefusals = startInProcessRefusals();
    const cases = [
      { name: "unknown user", url: server.url(VHOST, { user: "nobody", password: WRONG_PASSWORD }), cause: /ACCESS.REFUSED|Login was refused/ },
      { name: "wrong password", url: server.url(VHOST, { user: USER, password: WRONG_PASSWORD }), cause: /ACCESS.REFUSED|Login was refused/ },
      // guest exists but has no permissions on the vhost.
      { name: "vhost without permissions", url: server.url(VHOST), cause: /refused access to vhost "q-security"/ },
      // No NODE_EXTRA_CA_CERTS: the node's certificate is signed by a CA nobody trusts.
      { name: "untrusted certificate", url: server.url(VHOST, { user: USER, password: PASSWORD, tls: true }), cause: /certificate.*NODE_EXTRA_CA_CERTS/i },
    ];
    // Default connect settings (connectTimeout 10 s): all four at once, each timed from its start.
    const results = await Promise.all(
      cases.map(async (c) => {
        const started = Date.now();
        const q = startQ({ broker: "rabbitmq", url: c.url, queue: "sec-never", processes: 1, args: ["-v"] });
        runs.push(q);
        const code = await q.exitCode(40_000);
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
    recordFigure("rabbitmq.security.badCredentialsExitMs", Object.fromEntries(results.map((r) => [r.name, r.ms])));
  }, 60_000);

  it("exits 2 on a URL that does not parse, without the password in what it prints", async () => {
    // A password with an unencoded "/": the URL does not parse.
    const q = startQ({ broker: "rabbitmq", url: `amqp://u:${PASSWORD}/x@127.0.0.1:${server.port}`, queue: "sec-never", processes: 1, args: ["-v"] });
    runs.push(q);
    expect(await q.exitCode(20_000)).toBe(ExitCode.IMPORT_OR_USAGE);
    expect(q.lines.join("\n")).toMatch(/ConfigurationError/);
  });

  it("a broker in-process fails a send with ConnectionFailed naming the refusal, never the password", async () => {
    const [refused, untrusted] = await inProcessRefusals!;
    expect(refused).toBeInstanceOf(ConnectionFailed);
    expect(refused!.message).toMatch(/ACCESS.REFUSED|Login was refused/);
    expect(untrusted).toBeInstanceOf(ConnectionFailed);
    expect(untrusted!.message).toMatch(/certificate/i);
    for (const e of [refused!, untrusted!]) seen.push(e.message, String(e.stack), inspect(e, { depth: 5 }));
  }, 40_000);

  it("bad RabbitMQ URLs throw ConfigurationError without the password in the message", () => {
    const bad = [
      `http://u:${PASSWORD}@127.0.0.1:5672`,
      `amqp://u:${PASSWORD}@127.0.0.1:notaport`,
      // Reserved characters left unencoded: the URL does not parse, or parses oddly.
      `amqp://u:${PASSWORD}/x@127.0.0.1:5672`,
      `amqp://u:${PASSWORD}@x@127.0.0.1:5672:z`,
      `amqp://u:${PASSWORD}#x@127.0.0.1`,
      `amqp://u:${PASSWORD}`,
    ];
    for (const url of bad) {
      let error: unknown;
      try {
        new RabbitmqBroker({ url, logger: captureLogger().logger });
      } catch (e) {
        error = e;
      }
      expect({ url, error }).toEqual({ url, error: expect.any(ConfigurationError) });
      // inspect: what console.log(error) prints, causes and their properties included.
      seen.push((error as Error).message, String((error as Error).stack), inspect(error, { depth: 5 }));
    }
  });

  it("no password appeared in any log line or error text of this file", () => {
    for (const logs of logsSeen) seen.push(...logs.lines.map((l) => JSON.stringify(l)));
    // Guard against a vacuous pass: the lines above include refused logins and lost connections.
    expect(seen.some((l) => /ACCESS.REFUSED|Login was refused/.test(l))).toBe(true);
    expect(seen.some((l) => /Lost the connection to RabbitMQ/.test(l))).toBe(true);
    for (const secret of SECRETS) {
      const leaks = seen.filter((l) => l.includes(secret) || l.includes(encodeURIComponent(secret)));
      expect({ secret, leaks }).toEqual({ secret, leaks: [] });
    }
  });
});
