// Reloading fresh code: SIGHUP and --watch (spec 13; user guide "Code Reloading").
import { setTimeout as sleep } from "node:timers/promises";
import fs from "node:fs";
import path from "node:path";
import { waitFor } from "@q/test-support";
import { FIXTURES, type QRun, waitReady } from "./support/runQ";
import { useQ } from "./support/useQ";

const t = useQ();
let dir: string;

beforeEach(() => {
  // A copy of the fixtures that the test can edit (inside the package, so @q/* resolve).
  dir = fs.mkdtempSync(path.join(FIXTURES, "..", "tmp-"));
  for (const file of ["broker.js", "tasks.js"]) fs.copyFileSync(path.join(FIXTURES, file), path.join(dir, file));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function setVersion(version: string): void {
  const file = path.join(dir, "tasks.js");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/const VERSION = "[^"]*";/, `const VERSION = "${version}";`));
}

/** Sends a stamp and returns what the actor recorded: `tag:version:pid`. */
async function stamp(tag: string): Promise<string> {
  await t.send("stamp", [tag]);
  return waitFor(`stamp ${tag}`, async () => (await t.events()).find((e) => e.startsWith(`${tag}:`)));
}

const RELOADED = /\[q\.MainProcess\] \[INFO\] Reload complete: the previous worker processes have exited\./;

async function stopQ(q: QRun): Promise<void> {
  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);
}

test("HUP reloads the workers with the changed code; a running message finishes, none is lost", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "2"], { cwd: dir });
  await waitReady(q, 2);
  const [, before, oldPid] = (await stamp("one")).split(":");
  expect(before).toBe("v1");

  await t.send("slow", ["inflight", 1000]);
  await waitFor("the slow message to start", async () => (await t.events()).includes("started:inflight"));
  setVersion("v2");
  q.proc.kill("SIGHUP");
  await q.line(/The fresh worker processes are ready; stopping the previous ones\./);
  await q.line(RELOADED);
  // The old process finished its running message before it exited.
  expect(await t.events()).toEqual([expect.stringMatching(/^one:v1:/), "started:inflight", "done:inflight"]);
  expect(q.matching(/Worker has been shut down\./)).toHaveLength(2);

  const [, after, newPid] = (await stamp("two")).split(":");
  expect(after).toBe("v2");
  expect(newPid).not.toBe(oldPid);
  expect(q.matching(/\[q\.MainProcess\] \[INFO\] Reloading \(SIGHUP\): starting 2 fresh worker process\(es\)\.\.\./)).toHaveLength(1);
  await stopQ(q);
  expect(await t.queueLength()).toBe(0);
});

test("a reload whose fresh code cannot be imported keeps the running workers", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1"], { cwd: dir });
  await waitReady(q);
  fs.appendFileSync(path.join(dir, "tasks.js"), "\nthis is not javascript\n");
  q.proc.kill("SIGHUP");
  const failed = await q.line(/\[ERROR\] Reload failed, the running worker processes keep going: /);
  expect(failed).toContain("Cannot import 'tasks.js': SyntaxError");
  expect((await stamp("still")).split(":")[1]).toBe("v1");
  await stopQ(q);
});

test("--watch reloads when a watched file changes", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1", "--watch", "."], { cwd: dir });
  await waitReady(q);
  expect((await stamp("one")).split(":")[1]).toBe("v1");
  setVersion("v2");
  await q.line(/Reloading \(tasks\.js changed\)/);
  await q.line(RELOADED);
  expect((await stamp("two")).split(":")[1]).toBe("v2");
  await stopQ(q);
});

test("--watch reloads for a file created in a subdirectory made after the start", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1", "--watch", "."], { cwd: dir });
  await waitReady(q);
  // Written right after the mkdir, before anything could have started watching the new directories.
  fs.mkdirSync(path.join(dir, "lib", "deep"), { recursive: true });
  fs.writeFileSync(path.join(dir, "lib", "deep", "helper.js"), "module.exports = 1;\n");
  await q.line(/Reloading \(lib\/deep\/helper\.js changed\)/);
  await q.line(RELOADED);
  expect(q.matching(/Reloading \(/)).toHaveLength(1);
  await stopQ(q);
}, 30_000);

test("--watch-use-polling notices changes by scanning; excluded files and dotfiles do not reload", async () => {
  const q = t.q(["broker.js", "tasks.js", "-p", "1", "--watch", ".", "--watch-use-polling", "-x", "*.log"], { cwd: dir });
  await waitReady(q);
  fs.writeFileSync(path.join(dir, "notes.log"), "ignored");
  fs.writeFileSync(path.join(dir, "notes.txt"), "not included");
  fs.writeFileSync(path.join(dir, ".eslintrc.js"), "module.exports = {};\n"); // *.js leaves dotfiles alone
  await sleep(1500);
  expect(q.matching(/Reloading/)).toEqual([]);
  setVersion("v2");
  await q.line(/Reloading \(tasks\.js changed\)/);
  await q.line(RELOADED);
  expect((await stamp("two")).split(":")[1]).toBe("v2");
  await stopQ(q);
});
