// Every file a stack trace names inside an @q package exists in the install: with
// --enable-source-maps the frames point at the shipped src/*.ts, without it at dist/*.js.
const fs = require("node:fs");
const { actor } = require("@q/core");
const { StubBroker } = require("@q/broker-stub");

async function errors() {
  const broker = new StubBroker();
  const thrown = [];
  try {
    actor(function bad() {}, { broker, queueName: "has space" }); // thrown in @q/core
  } catch (e) {
    thrown.push(e);
  }
  await broker.join("nope").catch((e) => thrown.push(e)); // thrown in @q/broker-stub
  return thrown;
}

errors().then((thrown) => {
  if (thrown.length !== 2) throw new Error(`expected 2 errors, got ${thrown.length}`);
  const files = thrown.flatMap((error) =>
    [...error.stack.matchAll(/\(?((?:\/|file:\/\/)[^():]+\/node_modules\/@q\/[^():]+):\d+:\d+\)?/g)].map((m) => m[1].replace(/^file:\/\//, "")),
  );
  const packages = new Set(files.map((f) => f.replace(/.*node_modules\/(@q\/[^/]+).*/, "$1")));
  if (!packages.has("@q/core") || !packages.has("@q/broker-stub")) throw new Error(`expected frames in @q/core and @q/broker-stub:\n${thrown.map((e) => e.stack).join("\n")}`);
  const missing = files.filter((f) => !fs.existsSync(f));
  if (missing.length) throw new Error(`stack names files that are not installed: ${missing.join(", ")}`);
  const wanted = process.execArgv.includes("--enable-source-maps") ? /\/src\/.*\.ts$/ : /\/dist\/.*\.js$/;
  const other = files.filter((f) => !wanted.test(f));
  if (other.length) throw new Error(`expected frames matching ${wanted}, got: ${other.join(", ")}`);
  console.log(`stack (${process.execArgv.join(" ") || "no flags"}): ${files.length} @q frames, all installed, e.g. ${files[0].replace(/.*node_modules\//, "")}`);
}).catch((error) => {
  console.error(error);
  process.exit(1);
});
