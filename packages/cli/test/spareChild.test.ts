// The child `q` forks before its supervisor has parsed anything (SpareChild): it waits for
// its config in silence and goes away with a supervisor that never sends one.
import { fork } from "node:child_process";
import path from "node:path";
import { PREFORK_ENV } from "../src/protocol";

const CHILD_MAIN = path.join(__dirname, "..", "dist", "child", "childMain.js");

test("a spare child waits silently for its config and exits 0 when the supervisor disconnects first", async () => {
  const child = fork(CHILD_MAIN, [], { env: { ...process.env, [PREFORK_ENV]: "1" }, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += String(d)));
  child.stderr!.on("data", (d: Buffer) => (output += String(d)));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("exit", (code, signal) => resolve([code, signal])));
  // Still there after a while: waiting, not exiting, not failing.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(child.exitCode).toBeNull();
  // INT goes to the whole process group on Ctrl-C; the supervisor handles it, the spare ignores it.
  child.kill("SIGINT");
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(child.exitCode).toBeNull();
  child.disconnect();
  expect(await exited).toEqual([0, null]);
  expect(output).toBe("");
});

test("without a config or the spare marker the entry point refuses to run (exit 2)", async () => {
  const child = fork(CHILD_MAIN, [], { env: { ...process.env, [PREFORK_ENV]: "" }, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += String(d)));
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  expect(code).toBe(2);
  expect(err).toContain("run `q` instead");
});
