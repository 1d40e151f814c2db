#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports */
// Times `q <broker> -p 1` from spawn to its "ready for action" line, interleaved with
// `node -e 0` spawn→exit (the floor on this machine, measured in the same run because the
// machine is shared). Usage: node apps/bench/scripts/measureQBoot.js [runs=15] [extra q args...]
"use strict";
const { spawn } = require("node:child_process");
const path = require("node:path");

const runs = Number(process.argv[2] ?? 15);
const extra = process.argv.slice(3);
// Q_BIN: another build of q to time (e.g. main's, for a before/after on the same machine state).
const bin = process.env.Q_BIN ?? path.resolve(__dirname, "../../../packages/cli/dist/bin.js");
const broker = path.join(__dirname, "qBootBroker.js");

function floor() {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
    p.on("error", reject);
    p.on("exit", () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
  });
}

function qBoot() {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(process.execPath, [bin, broker, "-p", "1", ...extra], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, Q_NAMESPACE: "q-boot-bench" } });
    let seen = "";
    let ready;
    const onData = (chunk) => {
      seen += chunk;
      if (ready === undefined && seen.includes("ready for action")) {
        ready = Number(process.hrtime.bigint() - t0) / 1e6;
        p.kill("SIGTERM");
      }
    };
    p.stdout.on("data", onData);
    p.stderr.on("data", onData);
    p.on("error", reject);
    p.on("exit", (code) => (ready === undefined ? reject(new Error(`q exited ${code} before ready:\n${seen}`)) : resolve(ready)));
  });
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1] };
}

(async () => {
  const q = [];
  const f = [];
  await qBoot(); // warm the file cache
  await floor();
  for (let i = 0; i < runs; i++) {
    f.push(await floor());
    q.push(await qBoot());
  }
  const fmt = ({ median, min, max }) => `median ${median.toFixed(1)} ms (min ${min.toFixed(1)}, max ${max.toFixed(1)})`;
  const qs = stats(q);
  const fs = stats(f);
  console.log(`q boot to ready (-p 1, Redis): ${fmt(qs)}`);
  console.log(`node -e 0 floor:               ${fmt(fs)}`);
  console.log(`ratio (medians):               ${(qs.median / fs.median).toFixed(2)}x floor, ${runs} runs`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
