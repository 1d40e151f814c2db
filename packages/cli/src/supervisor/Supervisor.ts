import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import type { Logger } from "pino";
import type { CliOptions, ModuleRef } from "../CliOptions";
import { ExitCode } from "../ExitCode";
import { CHILD_CONFIG_ENV, type ChildConfig, type ChildMessage, HEARTBEAT_INTERVAL_MS, type SupervisorMessage } from "../protocol";
import { version } from "../version";
import { SourceWatcher } from "../watch/SourceWatcher";
import { ForkBridge } from "./ForkBridge";
import type { Output } from "./Output";
import type { PidFile } from "./PidFile";
import type { SpareChild } from "./SpareChild";
import { forwardLines } from "./forwardLines";

/** A blocked event loop is one that missed heartbeats this long past a message's time limit. */
const BLOCKED_GRACE_MS = 4 * HEARTBEAT_INTERVAL_MS;
/** Extra time a stopping child gets past --worker-shutdown-timeout before it is killed. */
const STOP_GRACE_MS = 15_000;
/** After a second INT/TERM, children still there after this are killed with SIGKILL. */
const KILL_GRACE_MS = 1_000;
/** Message ids remembered as having blocked a process past their time limit. */
const MAX_KILLED_IDS = 1000;

const CHILD_MAIN = path.join(__dirname, "..", "child", "childMain.js");

type ExitReason = "stop" | "watchdog" | "reload" | "abort";

interface Child {
  readonly kind: "worker" | "fork";
  /** Unique for the supervisor's life (fork processes see it as the worker's id). */
  readonly id: string;
  readonly index: number;
  readonly generation: number;
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly startedAt: number;
  ready: boolean;
  lastHeartbeat: number;
  /** Running messages with a time limit: id → deadline (epoch ms). */
  readonly inFlight: Map<string, number>;
  /** Set when the supervisor asked the child to go. */
  exitReason?: ExitReason;
  bootFailure?: { code: number; message: string; stack?: string };
}

/**
 * The supervisor process of `q` (spec 13): starts `--processes` worker processes and the
 * `--fork-function` processes, forwards their output as whole lines, and handles signals
 * (INT/TERM graceful stop, a second one kills, HUP reload), `--watch` reloads, worker
 * processes that die (restarted) or that block their event loop past a message's time
 * limit (killed and replaced). `run()` resolves with q's exit code.
 *
 * A reload starts a fresh set of worker processes first and stops the old set only once
 * the new one is ready, so messages keep flowing; if the fresh set fails to boot, the old
 * one keeps running.
 */
export class Supervisor {
  private readonly log: Logger;
  private readonly children = new Set<Child>();
  private generation = 0;
  private reloading: number | undefined;
  private reloadQueued: string | undefined;
  private booted = false;
  private stopping = false;
  private killing = false;
  private exitCode: number | undefined;
  private readonly childCodes: number[] = [];
  private readonly crashes = new Map<number, number>();
  private readonly timeLimitKilled: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private watchdog: NodeJS.Timeout | undefined;
  private watcher: SourceWatcher | undefined;
  private finish!: (code: number) => void;
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = [];
  private readonly bridge = new ForkBridge(() => this.children);
  /** --fork-function functions, then those the worker processes' middleware declared at boot. */
  private forks: ModuleRef[];
  private spawned = 0;

  constructor(
    private readonly options: CliOptions,
    logger: Logger,
    private readonly output: Output,
    private readonly pidFile?: PidFile,
    /** A child forked ahead of time: the first worker process, if it is still there. */
    private readonly spare?: SpareChild,
  ) {
    this.log = logger.child({ name: "q.MainProcess" });
    this.forks = [...options.forkFunctions];
  }

  /** Boots the children and supervises them; resolves with the exit code. */
  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    // Handlers first: until Node has one, a TERM ends the process at once (the OS default),
    // and whoever read the first line may send one right after it.
    this.onSignal("SIGINT", () => this.stop("SIGINT"));
    this.onSignal("SIGTERM", () => this.stop("SIGTERM"));
    this.onSignal("SIGHUP", () => this.reload("SIGHUP"));
    this.log.info(`q '${version}' is booting up.`);
    for (let i = 0; i < this.options.processes; i++) this.spawn("worker", i, this.generation);
    this.spare?.discard(); // taken by now unless it died waiting; never kept for later
    this.watchdog = setInterval(() => this.checkBlocked(), HEARTBEAT_INTERVAL_MS / 2);
    if (this.options.watch) {
      this.watcher = new SourceWatcher(
        this.options.watch,
        (file) => this.reload(`${file} changed`),
        (err) => this.log.warn({ err }, `Cannot watch part of ${this.options.watch!.dir}.`),
      );
    }
    return done;
  }

  private onSignal(signal: NodeJS.Signals, handler: () => void): void {
    process.on(signal, handler);
    this.signalHandlers.push([signal, handler]);
  }

  private spawn(kind: Child["kind"], index: number, generation: number): void {
    const config: ChildConfig =
      kind === "worker"
        ? { kind, index, options: this.options, timeLimitKilled: this.timeLimitKilled }
        : { kind, index, options: this.options, fn: this.forks[index]! };
    const spare = kind === "worker" ? this.spare?.take() : undefined;
    spare?.send({ type: "config", config } satisfies SupervisorMessage);
    const proc =
      spare ??
      fork(CHILD_MAIN, [], {
        env: { ...process.env, [CHILD_CONFIG_ENV]: JSON.stringify(config) },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      });
    const child: Child = {
      kind,
      id: String(++this.spawned),
      index,
      generation,
      proc,
      pid: proc.pid ?? -1,
      startedAt: Date.now(),
      ready: false,
      lastHeartbeat: Date.now(),
      inFlight: new Map(),
    };
    this.children.add(child);
    forwardLines(proc.stdout!, (text) => this.output.out(text));
    forwardLines(proc.stderr!, (text) => this.output.err(text));
    proc.on("message", (m: ChildMessage) => this.onMessage(child, m));
    proc.on("error", (err) => this.log.error({ err }, `${label(child)} failed: ${err.message}`));
    proc.on("close", (code, signal) => this.onExit(child, code, signal));
    if (kind === "fork") this.bridge.forkStarted(child);
  }

  private onMessage(child: Child, m: ChildMessage): void {
    if (typeof m !== "object" || m === null || this.bridge.onMessage(child, m)) return;
    switch (m.type) {
      case "heartbeat":
        child.lastHeartbeat = Date.now();
        break;
      case "started":
        child.inFlight.set(m.id, m.deadline);
        child.lastHeartbeat = Date.now();
        break;
      case "finished":
        child.inFlight.delete(m.id);
        break;
      case "bootFailed":
        child.bootFailure = { code: m.code, message: m.message, stack: m.stack };
        break;
      case "ready":
        child.ready = true;
        if (!this.booted && child.kind === "worker") this.addMiddlewareForks(m.forks);
        this.onReady(child);
        break;
    }
  }

  private onReady(child: Child): void {
    if (this.stopping || child.kind !== "worker") return;
    const generationReady = () => [...this.children].every((c) => c.kind !== "worker" || c.generation !== child.generation || c.ready);
    if (child.generation === this.reloading && generationReady()) this.completeReload();
    else if (!this.booted && child.generation === this.generation && generationReady()) {
      this.booted = true;
      this.forks.forEach((_, i) => this.spawn("fork", i, this.generation));
      this.runQueuedReload();
    }
  }

  /** Fork functions of the worker processes' middleware (Dramatiq's `forks`), each once. */
  private addMiddlewareForks(refs: unknown): void {
    if (!Array.isArray(refs)) return;
    for (const ref of refs as { module?: unknown; exportName?: unknown }[]) {
      if (typeof ref?.module !== "string" || typeof ref.exportName !== "string") continue;
      if (this.forks.some((f) => f.specifier === ref.module && f.exportPath === ref.exportName)) continue;
      this.forks.push({ specifier: ref.module, exportPath: ref.exportName });
    }
  }

  private onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.children.delete(child);
    this.bridge.childExited(child);
    const exitCode = code ?? ExitCode.KILLED;
    if (this.stopping) {
      // Children a reload or the watchdog had already sent away do not decide q's exit code.
      // A worker process still loading its modules has no SIGTERM handler yet, so TERM ends it
      // by the signal; it was running nothing, so that is a graceful stop, not a kill.
      const stoppedWhileLoading = signal === "SIGTERM" && !child.ready;
      if (child.exitReason === "stop") this.childCodes.push(stoppedWhileLoading ? ExitCode.OK : exitCode);
      if (this.children.size === 0) this.done();
      return;
    }
    switch (child.exitReason) {
      case "watchdog":
        return this.spawn(child.kind, child.index, child.generation);
      case "reload":
        // Fork processes restart once their old copy has gone (they may hold a port).
        if (child.kind === "fork") this.spawn("fork", child.index, this.generation);
        else if (![...this.children].some((c) => c.kind === "worker" && c.exitReason === "reload")) {
          this.log.info("Reload complete: the previous worker processes have exited.");
        }
        return;
      case "abort":
        return;
    }
    const failure = child.bootFailure;
    if (!child.ready || failure) {
      const message = failure?.message ?? `${label(child)} exited with ${describeExit(code, signal)} before it was ready.`;
      if (child.generation === this.reloading) return this.abortReload(message, failure?.stack);
      this.log.fatal(this.options.verbose && failure?.stack ? `${message}\n${failure.stack}` : message);
      return this.stop(undefined, failure?.code ?? (exitCode === 0 ? ExitCode.KILLED : exitCode));
    }
    const crashes = (this.crashes.get(child.index) ?? 0) + (Date.now() - child.startedAt < 10_000 ? 1 : 0);
    this.crashes.set(child.index, crashes);
    const delay = crashes === 0 ? 0 : Math.min(30_000, 500 * 2 ** (crashes - 1));
    this.log.fatal(`${label(child)} exited unexpectedly (${describeExit(code, signal)}); restarting it${delay ? ` in ${delay} ms` : ""}.`);
    this.later(delay, () => {
      if (!this.stopping && (child.generation === this.generation || child.generation === this.reloading)) this.spawn(child.kind, child.index, child.generation);
    });
  }

  /** Graceful stop (first signal) or kill (second); `failureCode` when a child's failure stops q. */
  private stop(signal: NodeJS.Signals | undefined, failureCode?: number): void {
    if (this.stopping) {
      if (!signal || this.killing) return;
      this.killing = true;
      this.log.info("Sending signal 'SIGTERM' to subprocesses...");
      for (const child of this.children) child.proc.kill("SIGTERM");
      // A child whose event loop is blocked cannot run its handler: kill it outright.
      this.later(KILL_GRACE_MS, () => {
        for (const child of this.children) child.proc.kill("SIGKILL");
      });
      return;
    }
    this.stopping = true;
    if (failureCode !== undefined) this.exitCode = failureCode;
    this.watcher?.close();
    if (this.children.size === 0) return this.done();
    this.log.info("Sending signal 'SIGTERM' to subprocesses...");
    for (const child of this.children) {
      if (child.exitReason !== undefined) continue; // already stopping (reload) or being killed
      child.exitReason = "stop";
      child.proc.kill("SIGTERM");
    }
    this.later(this.options.workerShutdownTimeout + STOP_GRACE_MS, () => {
      for (const child of this.children) {
        this.log.warn(`${label(child)} did not stop within the shutdown timeout; killing it.`);
        child.proc.kill("SIGKILL");
      }
    });
  }

  /** Starts a fresh generation of worker processes; the current one stops once it is ready. */
  reload(reason: string): void {
    if (this.stopping) return;
    if (!this.booted || this.reloading !== undefined) {
      this.reloadQueued = reason;
      return;
    }
    const generation = this.generation + 1;
    this.reloading = generation;
    this.log.info(`Reloading (${reason}): starting ${this.options.processes} fresh worker process(es)...`);
    for (let i = 0; i < this.options.processes; i++) this.spawn("worker", i, generation);
  }

  private completeReload(): void {
    const previous = this.generation;
    this.generation = this.reloading!;
    this.reloading = undefined;
    this.log.info("The fresh worker processes are ready; stopping the previous ones.");
    for (const child of this.children) {
      if (child.generation !== previous) continue;
      child.exitReason = "reload";
      child.proc.kill("SIGTERM");
    }
    this.runQueuedReload();
  }

  private abortReload(message: string, stack?: string): void {
    const failed = this.reloading;
    this.reloading = undefined;
    this.log.error(`Reload failed, the running worker processes keep going: ${message}${this.options.verbose && stack ? `\n${stack}` : ""}`);
    for (const child of this.children) {
      if (child.generation !== failed) continue;
      child.exitReason = "abort";
      child.proc.kill("SIGTERM");
    }
    this.runQueuedReload();
  }

  private runQueuedReload(): void {
    const reason = this.reloadQueued;
    this.reloadQueued = undefined;
    if (reason !== undefined) this.reload(reason);
  }

  /** Kills worker processes whose event loop stays blocked past a message's time limit. */
  private checkBlocked(): void {
    const now = Date.now();
    for (const child of this.children) {
      if (child.exitReason === "watchdog" || now - child.lastHeartbeat <= BLOCKED_GRACE_MS) continue;
      for (const [id, deadline] of child.inFlight) {
        if (now - deadline <= BLOCKED_GRACE_MS) continue;
        this.log.error(
          `${label(child)} has been blocked for ${now - child.lastHeartbeat} ms, past the time limit of message '${id}'; killing it${this.stopping ? "" : " and starting a new one"}.`,
        );
        child.exitReason = this.stopping ? "stop" : "watchdog";
        child.proc.kill("SIGKILL");
        this.rememberKilled(id);
        break;
      }
    }
  }

  private rememberKilled(id: string): void {
    this.timeLimitKilled.push(id);
    if (this.timeLimitKilled.length > MAX_KILLED_IDS) this.timeLimitKilled.shift();
    const message: SupervisorMessage = { type: "timeLimitKilled", id };
    for (const child of this.children) {
      if (child.kind === "worker" && child.exitReason === undefined && child.proc.connected) child.proc.send(message, () => undefined);
    }
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private done(): void {
    this.bridge.close();
    clearInterval(this.watchdog);
    for (const timer of this.timers) clearTimeout(timer);
    this.watcher?.close();
    for (const [signal, handler] of this.signalHandlers) process.off(signal, handler);
    this.pidFile?.release();
    const code = this.killing ? ExitCode.KILLED : (this.exitCode ?? this.childCodes.find((c) => c !== 0) ?? ExitCode.OK);
    this.finish(code);
  }
}

function label(child: Child): string {
  return `${child.kind === "worker" ? "Worker" : "Fork"} process ${child.index} (PID ${child.pid})`;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}
