// Tracing across two processes on Redis: a producer process sends (PRODUCER spans, the W3C
// context in the message's trace_context option); this process works (CONSUMER spans, children
// of the sends; a retry's attempt linked to the first attempt). In-memory exporters on both sides.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { Worker, actor } from "@q/core";
import { waitFor } from "@q/test-support";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";
import Redis from "ioredis";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { tracedBroker, describe: describeSpan } = require("./fixtures/tracing") as typeof import("./fixtures/tracing");

jest.setTimeout(60_000);

interface SpanJson {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
  links: { spanId: string; traceId: string; attributes: Record<string, unknown> }[];
  status: number;
}

let redis: Redis;
let namespace = "";
beforeAll(async () => {
  await requireRedis();
  redis = new Redis(REDIS_URL);
  namespace = freshNamespace("qotel");
});
afterAll(async () => {
  await deleteNamespace(redis, namespace);
  await redis.quit();
});

test("the trace context travels from the producer process to the worker: send → process spans, a retry linked to its first attempt", async () => {
  const out = await promisify(execFile)(process.execPath, [path.join(__dirname, "fixtures", "producer.js")], { env: { ...process.env, Q_NAMESPACE: namespace, REDIS_URL } });
  const lines = out.stdout.trim().split("\n").map((l) => JSON.parse(l) as { sent?: string; actorName?: string; options?: Record<string, unknown>; span?: SpanJson });
  const sends = lines.flatMap((l) => (l.span ? [l.span] : []));
  const sent = lines.filter((l) => l.sent);
  expect(sends.map((s) => [s.name, s.kind])).toEqual([
    ["send traced", SpanKind.PRODUCER],
    ["send traced", SpanKind.PRODUCER],
  ]);
  for (const [i, s] of sends.entries()) {
    expect(s.attributes).toEqual({
      "messaging.system": "dramatiq",
      "messaging.destination.name": "traced",
      "messaging.message.id": sent[i]!.sent,
      "messaging.operation.type": "send",
      "messaging.operation.name": "send",
      "dramatiq.actor_name": sent[i]!.actorName,
    });
    // The W3C traceparent of the send span, in the message option a Python worker keeps.
    expect(sent[i]!.options!.trace_context).toEqual({ traceparent: `00-${s.traceId}-${s.spanId}-01` });
  }

  const { broker, exporter } = tracedBroker(namespace);
  actor(async function ok() {}, { broker, queueName: "traced" });
  actor(
    async function flaky() {
      throw new Error("flaky fails");
    },
    { broker, queueName: "traced", maxRetries: 1, minBackoff: 10, maxBackoff: 20 },
  );
  const worker = new Worker(broker, { concurrency: 2 });
  await worker.start();
  try {
    await waitFor("three processing spans", () => (exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER).length === 3 ? true : undefined), { timeout: 30_000 });
  } finally {
    await worker.stop();
    await broker.close();
  }
  const spans = exporter.getFinishedSpans().map((s) => describeSpan(s) as SpanJson);
  // Retries and delayed-message moves are not new sends.
  expect(spans.filter((s) => s.kind === SpanKind.PRODUCER)).toEqual([]);
  const processOk = spans.filter((s) => s.attributes["dramatiq.actor_name"] === "ok");
  const processFlaky = spans.filter((s) => s.attributes["dramatiq.actor_name"] === "flaky");
  expect([processOk.length, processFlaky.length]).toEqual([1, 2]);
  const [sendOk, sendFlaky] = sends;
  expect([processOk[0]!.name, processOk[0]!.traceId, processOk[0]!.parentSpanId, processOk[0]!.status]).toEqual(["process traced", sendOk!.traceId, sendOk!.spanId, SpanStatusCode.UNSET]);
  expect(processOk[0]!.attributes).toEqual({
    "messaging.system": "dramatiq",
    "messaging.destination.name": "traced",
    "messaging.message.id": sent[0]!.sent,
    "messaging.operation.type": "process",
    "messaging.operation.name": "process",
    "dramatiq.actor_name": "ok",
  });
  const [first, retry] = processFlaky;
  // Both attempts are children of the one send; the retry links to the first attempt.
  expect([first!.traceId, first!.parentSpanId, retry!.traceId, retry!.parentSpanId]).toEqual([sendFlaky!.traceId, sendFlaky!.spanId, sendFlaky!.traceId, sendFlaky!.spanId]);
  expect(first!.links).toEqual([]);
  expect(retry!.links).toEqual([{ traceId: first!.traceId, spanId: first!.spanId, attributes: { "dramatiq.link": "first_attempt" } }]);
  expect([first!.status, retry!.status, first!.attributes["dramatiq.retries"], retry!.attributes["dramatiq.retries"]]).toEqual([SpanStatusCode.ERROR, SpanStatusCode.ERROR, undefined, 1]);
});
