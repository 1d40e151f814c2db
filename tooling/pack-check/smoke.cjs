// CommonJS consumer of the installed tarballs: every entry point loads, there is one
// @q/core on disk, and a message is sent and processed on the stub broker.
const assert = require("node:assert/strict");
const path = require("node:path");

const core = require("@q/core");
const testing = require("@q/core/testing");
const brokerApi = require("@q/core/broker");
const { StubBroker } = require("@q/broker-stub");
const { RedisBroker } = require("@q/broker-redis");
const { RabbitmqBroker } = require("@q/broker-rabbitmq");
const cli = require("@q/cli");
const { Prometheus, runExpositionServer } = require("@q/middleware-prometheus");
const { OpenTelemetry } = require("@q/middleware-opentelemetry");
const rateLimits = require("@q/rate-limits");
const { RedisRateLimiterBackend } = require("@q/rate-limits/redis");
const { MemcachedRateLimiterBackend } = require("@q/rate-limits/memcached");
const { createDashboard } = require("@q/dashboard");
const http = require("node:http");

for (const name of ["actor", "Worker", "setBroker", "Broker", "QError", "isQError", "ConnectionClosed"]) assert.ok(core[name], `@q/core exports ${name}`);
assert.equal(typeof testing.runBrokerConformance, "function");
assert.equal(brokerApi.qName("emails.DQ"), "emails");
for (const name of ["qName", "Wakeup", "settleWithin", "uuid4", "readOption", "toWireKey", "computeBackoff"]) {
  assert.equal(typeof brokerApi[name], "function", `@q/core/broker exports ${name}`);
  assert.ok(!(name in core), `${name} is not in the main entry`);
}
assert.ok(!("DISPATCH_LUA" in require("@q/broker-redis")), "@q/broker-redis keeps its Lua script to itself");
assert.equal(typeof RedisBroker, "function");
assert.equal(typeof RabbitmqBroker, "function");
assert.equal(typeof cli.main, "function");
assert.equal(typeof runExpositionServer, "function");
// The middleware's fork function is a file of the installed package, so q can start it.
const prometheus = new Prometheus({ port: 0 });
assert.ok(prometheus instanceof core.Middleware, "Prometheus is a Middleware of the app's @q/core");
assert.equal(require(prometheus.forks[0].module)[prometheus.forks[0].exportName], runExpositionServer);
assert.ok(require.resolve("@q/middleware-prometheus/grafana/dashboard.json"));
assert.ok(new OpenTelemetry() instanceof core.Middleware, "OpenTelemetry is a Middleware of the app's @q/core");

for (const name of ["ConcurrentRateLimiter", "BucketRateLimiter", "WindowRateLimiter", "Barrier", "RateLimits", "MemoryRateLimiterBackend"]) {
  assert.equal(typeof rateLimits[name], "function", `@q/rate-limits exports ${name}`);
}
assert.equal(typeof RedisRateLimiterBackend, "function");
// memjs is an optional peer: installing @q/rate-limits did not bring it, and the memcached
// entry still loads; only making a backend without memjs says what to install.
assert.throws(() => require.resolve("memjs"), /Cannot find module/);
assert.throws(() => new MemcachedRateLimiterBackend(), (e) => core.isQError(e, "Q_CONFIGURATION_ERROR") && /npm install memjs/.test(e.message));

// One copy of @q/core: every package resolves the same one, so instanceof holds across them.
const corePkg = require.resolve("@q/core/package.json");
for (const pkg of ["@q/broker-stub", "@q/broker-redis", "@q/broker-rabbitmq", "@q/cli", "@q/middleware-prometheus", "@q/middleware-opentelemetry", "@q/rate-limits", "@q/dashboard"]) {
  const from = path.dirname(require.resolve(`${pkg}/package.json`));
  assert.equal(require.resolve("@q/core/package.json", { paths: [from] }), corePkg, `${pkg} sees the app's @q/core`);
}

async function main() {
  const broker = new StubBroker();
  assert.ok(broker instanceof core.Broker, "a StubBroker is a Broker of the app's @q/core");
  core.setBroker(broker);
  const sums = [];
  const add = core.actor(function add(a, b) {
    sums.push(a + b);
  });
  const worker = new core.Worker(broker, { timeout: 50 });
  await worker.start();
  try {
    await add.send(1, 2);
    await add.send(3, 4);
    await broker.join(add.queueName);
  } finally {
    await worker.stop();
  }
  assert.deepEqual(sums.sort(), [3, 7]);

  // The dashboard, installed from its tarball, serves the stub broker's queues and its own assets.
  const server = http.createServer(createDashboard({ broker, prefix: "/q" }));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const base = `http://127.0.0.1:${server.address().port}/q`;
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), new RegExp(`<tr data-queue="${add.queueName}">`));
    assert.equal((await fetch(`${base}/assets/app.js`)).status, 200);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  // A mutex on the memory backend, in the throwing form.
  const mutex = new rateLimits.ConcurrentRateLimiter(new rateLimits.MemoryRateLimiterBackend(), "mutex");
  const inner = await mutex.acquire(() => mutex.acquire(() => "nested").catch((e) => e));
  assert.ok(core.isQError(inner, "Q_RATE_LIMIT_EXCEEDED"), `a held mutex refuses a second holder, got ${inner}`);

  const error = await broker.join("nope", { timeout: 1 }).then(() => undefined, (e) => e);
  assert.ok(core.isQError(error), `join of an unknown queue rejects with a QError, got ${error}`);
  assert.ok(error instanceof core.QError);
  console.log(`cjs: sent and processed ${sums.length} messages; ${error.code} from the stub broker`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
