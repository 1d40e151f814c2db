// ES module consumer: named imports from the CommonJS packages (found by Node's static
// analysis of their exports), and a message sent and processed on the stub broker.
import assert from "node:assert/strict";
import { actor, isQError, QError, setBroker, Worker } from "@q/core";
import { runBrokerConformance, MemoryRateLimiterBackend } from "@q/core/testing";
import { Wakeup, qName } from "@q/core/broker";
import { StubBroker } from "@q/broker-stub";
import { RedisBroker } from "@q/broker-redis";
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { main, ExitCode } from "@q/cli";
import { Prometheus, runExpositionServer } from "@q/middleware-prometheus";
import { OpenTelemetry } from "@q/middleware-opentelemetry";
import { ConcurrentRateLimiter, RateLimits, MemoryRateLimiterBackend as Memory } from "@q/rate-limits";
import { RedisRateLimiterBackend } from "@q/rate-limits/redis";
import { MemcachedRateLimiterBackend } from "@q/rate-limits/memcached";
import { createDashboard } from "@q/dashboard";

for (const value of [runBrokerConformance, MemoryRateLimiterBackend, Wakeup, qName, RedisBroker, RabbitmqBroker, main, Prometheus, runExpositionServer, OpenTelemetry, createDashboard]) assert.equal(typeof value, "function");
for (const value of [ConcurrentRateLimiter, RateLimits, Memory, RedisRateLimiterBackend, MemcachedRateLimiterBackend]) assert.equal(typeof value, "function");
assert.equal(Memory, MemoryRateLimiterBackend, "@q/rate-limits re-exports core's memory backend");
assert.equal(typeof ExitCode, "object");

const broker = new StubBroker();
setBroker(broker);
const seen = [];
const greet = actor(async function greet(name) {
  seen.push(`hello ${name}`);
});
const worker = new Worker(broker, { timeout: 50 });
await worker.start();
try {
  await greet.send("ada");
  await broker.join(greet.queueName);
} finally {
  await worker.stop();
}
assert.deepEqual(seen, ["hello ada"]);

let error;
try {
  actor(function bad() {}, { queueName: "has space" });
} catch (e) {
  error = e;
}
assert.ok(isQError(error, "Q_ACTOR_DEFINITION_ERROR") && error instanceof QError, `got ${error}`);
console.log(`esm: sent and processed ${seen.length} message; ${error.code} on a bad queue name`);
