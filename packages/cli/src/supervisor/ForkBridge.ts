import type { ChildProcess } from "node:child_process";
import { type ChildMessage, MAX_COLLECT_TIMEOUT_MS, type SupervisorMessage, type WorkerInfo } from "../protocol";

/** What the bridge needs to know of a child process. */
export interface BridgeChild {
  readonly kind: "worker" | "fork";
  readonly id: string;
  readonly index: number;
  readonly pid: number;
  readonly proc: ChildProcess;
  readonly ready: boolean;
  readonly exitReason?: string;
}

/** Most messages held for a fork slot while its process is restarting. */
const MAX_BACKLOG = 10_000;

interface PendingCollect {
  readonly fork: BridgeChild;
  readonly forkId: number;
  readonly waiting: Set<string>;
  readonly values: { worker: WorkerInfo; value: unknown }[];
  readonly timer: NodeJS.Timeout;
}

/**
 * The supervisor's side of core's SupervisorChannel and ForkContext: relays fork
 * processes' `collect` requests to the ready worker processes and their answers back
 * (bounded by the request's timeout), relays what workers publish, tells forks when a
 * worker process exits, and keeps the forks' `keep` values across fork restarts. What
 * workers publish and their exits, sent while a fork slot has no running process (it is
 * restarting, e.g. on reload), wait for the next one. It knows nothing of what the values
 * mean.
 */
export class ForkBridge {
  private readonly kept = new Map<string, unknown>();
  private readonly pending = new Map<number, PendingCollect>();
  /** Per fork slot (index): messages for it while it has no running process. */
  private readonly backlog = new Map<number, SupervisorMessage[]>();
  private nextId = 1;

  constructor(private readonly children: () => Iterable<BridgeChild>) {}

  /** Handles the bridge's messages; false for any other. */
  onMessage(from: BridgeChild, m: ChildMessage): boolean {
    switch (m.type) {
      case "collect":
        if (from.kind === "fork") this.collect(from, m);
        return true;
      case "keep":
        if (from.kind === "fork" && typeof m.key === "string") this.kept.set(m.key, m.value);
        return true;
      case "collected":
        if (from.kind === "worker") this.answer(from, m.id, m);
        return true;
      case "publish":
        if (from.kind === "worker") this.toForks({ type: "published", topic: m.topic, worker: info(from), value: m.value });
        return true;
      default:
        return false;
    }
  }

  /** A fork process was spawned: gives it what earlier copies kept. */
  forkStarted(fork: BridgeChild): void {
    send(fork, { type: "init", kept: [...this.kept] });
    for (const message of this.backlog.get(fork.index) ?? []) send(fork, message);
    this.backlog.set(fork.index, []);
  }

  /** A child process exited: a worker's pending answers are given up and the forks are told. */
  childExited(child: BridgeChild): void {
    if (child.kind === "fork") {
      for (const [id, p] of this.pending) if (p.fork === child) this.finish(id);
      return;
    }
    for (const [id, p] of this.pending) if (p.waiting.delete(child.id) && p.waiting.size === 0) this.finish(id);
    this.toForks({ type: "workerExit", worker: info(child) });
  }

  /** Ends every pending collect (the supervisor is done). */
  close(): void {
    for (const id of [...this.pending.keys()]) this.finish(id);
  }

  private collect(fork: BridgeChild, m: Extract<ChildMessage, { type: "collect" }>): void {
    let targets = [...this.children()].filter((c) => c.kind === "worker" && c.ready && c.proc.connected);
    // "one": a process that is not on its way out, if there is one.
    if (m.workers === "one") targets = [targets.find((c) => c.exitReason === undefined) ?? targets[0]].filter((c) => c !== undefined);
    const id = this.nextId++;
    const timeout = Math.min(Math.max(0, Number(m.timeout) || 0), MAX_COLLECT_TIMEOUT_MS);
    const timer = setTimeout(() => this.finish(id), timeout);
    this.pending.set(id, { fork, forkId: m.id, waiting: new Set(targets.map((c) => c.id)), values: [], timer });
    if (targets.length === 0) return this.finish(id);
    for (const worker of targets) send(worker, { type: "collect", id, topic: m.topic, request: m.request });
  }

  private answer(worker: BridgeChild, id: number, m: Extract<ChildMessage, { type: "collected" }>): void {
    const p = this.pending.get(id);
    if (!p || !p.waiting.delete(worker.id)) return;
    if ("value" in m && m.value !== undefined) p.values.push({ worker: info(worker), value: m.value });
    if (p.waiting.size === 0) this.finish(id);
  }

  private finish(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    send(p.fork, { type: "collected", id: p.forkId, values: p.values });
  }

  private toForks(message: SupervisorMessage): void {
    const forks = [...this.children()].filter((c) => c.kind === "fork" && c.exitReason === undefined && c.proc.connected);
    for (const [slot, held] of this.backlog) {
      const running = forks.filter((c) => c.index === slot);
      if (running.length > 0) for (const fork of running) send(fork, message);
      else if (held.length < MAX_BACKLOG) held.push(message);
    }
  }
}

function info(child: BridgeChild): WorkerInfo {
  return { id: child.id, index: child.index, pid: child.pid };
}

function send(child: BridgeChild, message: SupervisorMessage): void {
  if (!child.proc.connected) return;
  try {
    child.proc.send(message, () => undefined);
  } catch {
    // the channel closed meanwhile: the child is exiting
  }
}
