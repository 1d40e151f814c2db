// The q binary against real Redis: boot, processing, log format, module kinds.
import fs from "node:fs";
import path from "node:path";
import { waitFor } from "@q/test-support";
import { version as VERSION } from "../src/version";
import { FIXTURES, waitReady } from "./support/runQ";
import { useQ } from "./support/useQ";

const t = useQ();

test("q boots N worker processes that process messages, and stops with exit 0 on TERM", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "2", "-t", "4"]);
  await waitReady(q, 2);
  for (let i = 0; i < 6; i++) await t.send("stamp", [`m${i}`]);
  const events = await waitFor("six stamps", async () => ((await t.events()).length === 6 ? t.events() : undefined));
  expect(events.map((e) => e.split(":")[0]).sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5"]);
  expect(events.every((e) => e.split(":")[1] === "v1")).toBe(true);

  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);
  // Dramatiq's lines, in Dramatiq's format.
  const line = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] \[PID \d+\] \[MainThread\] \[[^\]]+\] \[(DEBUG|INFO|WARNING|ERROR|CRITICAL)\] /;
  expect(q.lines.filter(Boolean).every((l) => line.test(l))).toBe(true);
  // This package's version, prerelease included (0.1.0-0 until the first release).
  const booting = new RegExp(`\\[q\\.MainProcess\\] \\[INFO\\] q '${VERSION.replaceAll(".", "\\.")}' is booting up\\.$`);
  expect(q.matching(booting)).toHaveLength(1);
  expect(q.matching(/\[q\.MainProcess\] \[INFO\] Sending signal 'SIGTERM' to subprocesses\.\.\.$/)).toHaveLength(1);
  expect(q.matching(/\[q\.WorkerProcess\(\d\)\] \[INFO\] Stopping worker process\.\.\.$/)).toHaveLength(2);
  expect(q.matching(/\[q\.worker\.Worker\] \[INFO\] Worker has been shut down\.$/)).toHaveLength(2);
  // Two distinct worker PIDs did the work, none of them the supervisor's.
  const pids = new Set(q.matching(/Worker process is ready/).map((l) => /\[PID (\d+)\]/.exec(l)![1]));
  expect(pids.size).toBe(2);
  expect(pids.has(String(q.pid))).toBe(false);
});

test("each worker process calls afterProcessBoot once, after the broker module and before the actor modules", async () => {
  const q = t.q(["bootHook.js", "tasks.js", "-p", "2"]);
  await waitReady(q, 2);
  const pids = q.matching(/Worker process is ready/).map((l) => /\[PID (\d+)\]/.exec(l)![1]);
  expect((await t.events()).sort()).toEqual(pids.map((pid) => `afterProcessBoot:${pid}:0 actors`).sort());
  await t.send("stamp", ["after"]); // the actors of tasks.js were declared afterwards
  await waitFor("the stamp", async () => (await t.events()).find((e) => e.startsWith("after:")));
  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);
  expect((await t.events()).filter((e) => e.startsWith("afterProcessBoot:"))).toHaveLength(2);
});

test("an ES module app (\"type\": \"module\", top-level await) loads with import()", async () => {
  const q = t.q(["esm/broker.js:default", "esm/tasks.js", "-p", "1"]);
  await waitReady(q);
  await t.send("esmStamp", ["hello"]);
  expect(await waitFor("the ESM actor", async () => (await t.events())[0])).toBe("esm:hello");
  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);
});

test("TypeScript modules load through a loader given in NODE_OPTIONS (tsx)", async () => {
  const q = t.q(["ts/broker.ts", "ts/tasks.ts", "-p", "1"], { env: { NODE_OPTIONS: "--import tsx" } });
  await waitReady(q);
  await t.send("tsStamp", [41]);
  expect(await waitFor("the TS actor", async () => (await t.events())[0])).toBe("ts:42");
  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);
});

test("without a loader, a TypeScript module is one clear line and exit 2", async () => {
  const q = t.q(["ts/broker.ts", "-p", "1"], { env: { NODE_OPTIONS: "" } });
  expect(await q.exitCode()).toBe(2);
  expect(q.matching(/\[CRITICAL\]/)).toEqual([expect.stringContaining(`Cannot import 'ts/broker.ts': Node cannot load TypeScript by itself; run q with a loader (NODE_OPTIONS="--import tsx")`)]);
});

test("--log-format json writes pino JSON lines; --queues limits the queues consumed", async () => {
  const q = t.q(["broker.js", "tasks.js", "queued.js", "-p", "1", "--log-format", "json", "-Q", "other"]);
  const ready = await q.line(/ready for action/);
  expect(JSON.parse(ready)).toMatchObject({ level: 30, name: "q.WorkerProcess(0)", msg: "Worker process is ready for action." });
  await t.send("stamp", ["not-consumed"]);
  await t.send("otherStamp", ["consumed"], { queue: "other" });
  expect(await waitFor("the other queue's actor", async () => (await t.events())[0])).toBe("other:consumed");
  expect(await t.queueLength("default")).toBe(1);
  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);
  expect(q.lines.filter(Boolean).every((l) => JSON.parse(l).msg !== undefined)).toBe(true);
});

test("--log-file appends every process's log lines and what actors print to the file", async () => {
  const dir = fs.mkdtempSync(path.join(FIXTURES, "..", "tmp-"));
  const logFile = path.join(dir, "q.log");
  try {
    fs.writeFileSync(logFile, "earlier line\n");
    const q = t.q(["broker.js", "tasks.js", "-p", "1", "--log-file", logFile]);
    await waitFor("the ready line in the log file", () => fs.readFileSync(logFile, "utf8").includes("Worker process is ready for action."));
    await t.send("shout", ["hi"]);
    await waitFor("the actor's print in the log file", () => fs.readFileSync(logFile, "utf8").includes("HI from the shout actor"));
    q.proc.kill("SIGTERM");
    expect(await q.exitCode()).toBe(0);
    const text = fs.readFileSync(logFile, "utf8");
    expect(text.startsWith("earlier line\n")).toBe(true);
    expect(text).toContain("[q.MainProcess] [INFO] q '");
    expect(text).toContain("Worker has been shut down.");
    expect(q.lines.filter(Boolean)).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("--fork-function runs module:function in its own process once the workers are ready; its stop function runs on TERM", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1", "-f", "fork.js:serve"]);
  const ready = await q.line(/\[q\.ForkProcess\(0\)\] \[INFO\] Fork process 'fork\.js:serve' is ready for action\./);
  expect(q.lines.findIndex((l) => l === ready)).toBeGreaterThan(q.lines.findIndex((l) => /Worker process is ready/.test(l)));
  const started = await waitFor("the fork function", async () => (await t.events()).find((e) => e.startsWith("fork:started:")));
  expect(started.split(":")[2]).not.toBe(String(q.pid));
  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);
  expect(await t.events()).toEqual([started, "fork:stopped"]);
});
