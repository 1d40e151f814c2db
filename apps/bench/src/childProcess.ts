import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { now } from "./clock";
import type { FromChild, JobEvent, Task, ToChild } from "./protocol";

/** How to start a child: the entry file and Node flags (the tests run the TypeScript source). */
export interface ChildLauncher {
  entry: string;
  execArgv: string[];
}

/** The compiled child next to this file (dist/child.js). */
export function defaultLauncher(): ChildLauncher {
  return { entry: path.join(__dirname, "child.js"), execArgv: [] };
}

type MessageOf<T extends FromChild["type"]> = Extract<FromChild, { type: T }>;

/** One clock comparison: the child's clock minus ours, from the round trip with the smallest RTT. */
export interface ClockOffset {
  offsetMs: number;
  rttMs: number;
}

/**
 * The harness's side of one child process (./child.ts): sends it messages and waits for
 * its answers, with timeouts. A child that exits or reports an error fails every wait.
 */
export class Child {
  private readonly inbox: FromChild[] = [];
  private waiter: { type: FromChild["type"]; resolve: (m: FromChild) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly exited: Promise<void>;
  private clockSeq = 0;
  private readonly jobEvents: JobEvent[] = [];
  private jobWaiter: { check: () => boolean; reject: (e: Error) => void } | undefined;

  private constructor(
    private readonly proc: ChildProcess,
    readonly label: string,
  ) {
    proc.on("message", (message: FromChild) => {
      if (message.type === "error") this.fail(new Error(`${label}: ${message.message}`));
      // Job events stream in while the harness waits for other things: kept apart.
      else if (message.type === "job") this.deliverJob(message);
      else this.deliver(message);
    });
    this.exited = new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        this.fail(new Error(`${label} exited (code ${code}, signal ${signal}) before answering`));
        resolve();
      });
    });
    proc.once("error", (error) => this.fail(new Error(`${label}: ${error.message}`)));
  }

  /** Forks a child for `task` and waits until it is connected and ready. */
  static async start(task: Task, launcher: ChildLauncher, options: { label: string; extraExecArgv?: string[]; timeoutMs: number }): Promise<Child> {
    const proc = fork(launcher.entry, [], {
      execArgv: [...launcher.execArgv, ...(options.extraExecArgv ?? [])],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "json",
    });
    const child = new Child(proc, options.label);
    try {
      child.send({ type: "init", task });
      await child.next("ready", options.timeoutMs);
    } catch (error) {
      child.kill();
      throw error;
    }
    return child;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  send(message: ToChild): void {
    if (this.failure) throw this.failure;
    this.proc.send(message);
  }

  /** The next message of `type` (earlier messages of other types are an error). */
  next<T extends FromChild["type"]>(type: T, timeoutMs: number): Promise<MessageOf<T>> {
    if (this.failure) return Promise.reject(this.failure);
    const queued = this.inbox.shift();
    if (queued) return queued.type === type ? Promise.resolve(queued as MessageOf<T>) : Promise.reject(unexpected(this.label, type, queued));
    return new Promise<MessageOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`${this.label}: no "${type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as MessageOf<T>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** Estimates the child's clock offset against ours (NTP-style, over IPC). */
  async clockOffset(rounds = 15): Promise<ClockOffset> {
    let best: ClockOffset = { offsetMs: Number.NaN, rttMs: Number.POSITIVE_INFINITY };
    for (let r = 0; r < rounds; r++) {
      const seq = ++this.clockSeq;
      const t1 = now();
      this.send({ type: "clock", seq });
      const reply = await this.next("clock", 5000);
      const t3 = now();
      if (reply.seq !== seq) throw new Error(`${this.label}: clock reply out of order`);
      if (t3 - t1 < best.rttMs) best = { offsetMs: reply.t - (t1 + t3) / 2, rttMs: t3 - t1 };
    }
    return best;
  }

  /** Asks the child to close its connections and exit; kills it if it does not within `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (!this.failure && this.proc.exitCode === null) {
      try {
        this.send({ type: "stop" });
        await this.next("closed", timeoutMs);
      } catch {
        this.kill();
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.kill();
      await this.exited;
    }
  }

  /** The job events (a redelivery worker's job starts and completions) received so far, in order. */
  get jobs(): readonly JobEvent[] {
    return this.jobEvents;
  }

  /**
   * Resolves with what `check` returns for the job events received so far, as soon as that
   * is not undefined (checked now and on each new event).
   */
  waitForJobs<T>(check: (events: readonly JobEvent[]) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const now = check(this.jobEvents);
    if (now !== undefined) return Promise.resolve(now);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.jobWaiter = undefined;
        reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.jobWaiter = {
        check: () => {
          const value = check(this.jobEvents);
          if (value === undefined) return false;
          clearTimeout(timer);
          resolve(value);
          return true;
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  /** SIGKILLs this child and resolves once it has exited. */
  async killAndWait(): Promise<void> {
    this.kill();
    await this.exited;
  }

  /** Kills this child (and only it). */
  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }

  private deliver(message: FromChild): void {
    const waiter = this.waiter;
    if (!waiter) {
      this.inbox.push(message);
      return;
    }
    this.waiter = undefined;
    if (message.type === waiter.type) waiter.resolve(message);
    else waiter.reject(unexpected(this.label, waiter.type, message));
  }

  private deliverJob(event: JobEvent): void {
    this.jobEvents.push(event);
    if (this.jobWaiter?.check()) this.jobWaiter = undefined;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.failure);
    const jobWaiter = this.jobWaiter;
    this.jobWaiter = undefined;
    jobWaiter?.reject(this.failure);
  }
}

function unexpected(label: string, wanted: string, got: FromChild): Error {
  return new Error(`${label}: expected "${wanted}", got "${got.type}"`);
}
