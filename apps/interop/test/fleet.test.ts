/**
 * A mixed fleet: the real `dramatiq` CLI and the real `q` CLI, two worker processes each,
 * consume one queue at once while a Python producer and an @q producer fill it. Early on, while
 * the producers still send, both supervisors get SIGHUP (Dramatiq re-executes itself; q starts fresh processes, then stops
 * the old ones), as a deploy would. Every message must run exactly once: the runs are recorded as
 * they start, so a duplicate shows, and the test prints the counts per language.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { waitFor } from "@q/test-support";
import { BROKERS, useInterop } from "./interop";
import { PYTHON, readJsonLines, runPython } from "./python";

jest.setTimeout(240_000);

const PER_PRODUCER = 2000;
const SLEEP_MS = 20;
const DRAMATIQ = join(dirname(PYTHON), "dramatiq");
const PY_APP_DIR = join(__dirname, "..", "python");
const Q_BIN = join(dirname(require.resolve("@q/cli/package.json")), "dist", "bin.js");
const Q_APP = join(__dirname, "support", "fleetApp.mjs");

interface Run {
  lang: "python" | "q";
  message_id: string;
  args: [string, number];
  pid: number;
}

/** A supervisor (`dramatiq` or `q`) whose log is on stderr; counts its "ready for action" lines. */
class Cli {
  log = "";
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout!.on("data", (d: Buffer) => (this.log += d.toString("utf8")));
    child.stderr!.on("data", (d: Buffer) => (this.log += d.toString("utf8")));
    this.exited = new Promise((resolve) => child.on("close", (code) => resolve(code)));
  }

  static start(name: string, command: string, args: string[], env: Record<string, string>): Cli {
    // A process group of its own, so kill() reaches the worker processes too.
    return new Cli(name, spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true }));
  }

  ready(): number {
    return this.log.split("Worker process is ready for action.").length - 1;
  }

  async waitReady(n: number): Promise<void> {
    await waitFor(`${n} "ready for action" lines from ${this.name}`, () => {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited with ${this.child.exitCode}:\n${this.log}`);
      return this.ready() >= n;
    }, { timeout: 60_000 });
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    return this.exited;
  }

  /**
   * SIGKILLs the supervisor and its worker processes: a SIGKILLed supervisor cannot stop its
   * children, and one left running keeps jest from exiting after a failed test.
   */
  kill(): void {
    try {
      process.kill(-this.child.pid!, "SIGKILL");
    } catch {
      // the whole group is gone already
    }
  }
}

describe.each(BROKERS)("%s: a mixed fleet of the dramatiq CLI and q on one queue", (kind) => {
  const h = useInterop(kind);

  it(`runs ${2 * PER_PRODUCER} messages from a Python and an @q producer exactly once, across a SIGHUP reload of both fleets, and both did work`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "q-fleet-"));
    h().defer(() => rmSync(dir, { recursive: true, force: true }));
    const actor = "fleet_job";
    const FLEET_SPEC = JSON.stringify({ ...h().pythonBroker(), queue: h().queue, actor, out_dir: dir, sleep_ms: SLEEP_MS });

    const py = Cli.start("dramatiq", DRAMATIQ, ["fleet_app", "--path", PY_APP_DIR, "--processes", "2", "--threads", "4"], { FLEET_SPEC });
    const q = Cli.start("q", process.execPath, [Q_BIN, Q_APP, "--processes", "2", "--threads", "4"], { FLEET_SPEC });
    h().defer(() => {
      py.kill();
      q.kill();
    });
    await Promise.all([py.waitReady(2), q.waitReady(2)]);

    const runs = (): Run[] => readdirSync(dir).flatMap((f) => readJsonLines<Run>(join(dir, f)));
    const distinct = (): number => new Set(runs().map((r) => r.message_id)).size;

    const producing = Promise.all([
      runPython<{ message_id: string }>("produce_many", { ...h().pythonBroker(), actor, queue: h().queue, count: PER_PRODUCER, tag: "python" }),
      h().send("q", Array.from({ length: PER_PRODUCER }, (_, i) => ({ actor, args: ["q", i] }))),
    ]);

    // A deploy early in the run: both fleets reload at once while the producers still send.
    await waitFor("a tenth of the messages run", () => distinct() >= PER_PRODUCER / 5, { timeout: 60_000 });
    const runBeforeReload = distinct();
    const pidsBeforeReload = new Set(runs().map((r) => r.pid));
    py.child.kill("SIGHUP");
    q.child.kill("SIGHUP");
    await Promise.all([py.waitReady(4), q.waitReady(4)]);

    const [pySent, qSent] = await producing;
    const sent = [...pySent, ...qSent].map((s) => s.message_id);
    expect(new Set(sent).size).toBe(2 * PER_PRODUCER);
    await waitFor(`all ${sent.length} messages run`, () => distinct() >= sent.length, { timeout: 120_000 });
    await new Promise((r) => setTimeout(r, 1000)); // time for a duplicate to show
    expect([await py.stop(), await q.stop()]).toEqual([0, 0]);

    const all = runs();
    const byId = new Map<string, Run[]>();
    for (const r of all) byId.set(r.message_id, [...(byId.get(r.message_id) ?? []), r]);
    const duplicates = [...byId.values()].filter((rs) => rs.length > 1);
    const byLang = (lang: string): Run[] => all.filter((r) => r.lang === lang);
    const pidsAfterReload = (lang: string): number => new Set(byLang(lang).map((r) => r.pid).filter((p) => !pidsBeforeReload.has(p))).size;
    console.log(
      `mixed fleet on ${kind}: ${JSON.stringify({
        sent: sent.length,
        runs: all.length,
        duplicates: duplicates.length,
        python: byLang("python").length,
        q: byLang("q").length,
        runBeforeReload,
        newPidsAfterReload: { python: pidsAfterReload("python"), q: pidsAfterReload("q") },
      })}`,
    );

    expect([...byId.keys()].sort()).toEqual([...sent].sort());
    expect(duplicates).toEqual([]);
    expect(all).toHaveLength(sent.length);
    // Both languages did a real share, of both producers' messages.
    for (const lang of ["python", "q"]) {
      const share = byLang(lang);
      expect({ lang, fair: share.length >= sent.length / 10 }).toEqual({ lang, fair: true });
      expect({ lang, producers: [...new Set(share.map((r) => r.args[0]))].sort() }).toEqual({ lang, producers: ["python", "q"] });
    }
    // The reload replaced the processes of both fleets, and the new ones carried on.
    expect({ python: pidsAfterReload("python") > 0, q: pidsAfterReload("q") > 0 }).toEqual({ python: true, q: true });
  });
});
