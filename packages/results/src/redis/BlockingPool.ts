import { ConnectionClosed } from "@q/core";
import type { Cluster, Redis } from "ioredis";

interface Waiter {
  resolve(connection: Redis | Cluster | undefined): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * Internal: at most `size` connections for blocking reads, made on demand from `make`.
 * A blocking command ties up its connection until it returns, so a read that finds
 * them all busy queues (first come, first served) until one is released or its
 * deadline passes.
 */
export class BlockingPool {
  private readonly idle: (Redis | Cluster)[] = [];
  private readonly busy = new Set<Redis | Cluster>();
  private readonly queue: Waiter[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly make: () => Redis | Cluster,
  ) {}

  /** A connection of its own for the caller, or undefined when `deadline` (performance.now()) passes first. */
  acquire(deadline: number): Promise<Redis | Cluster | undefined> {
    if (this.closed) return Promise.reject(this.closedError());
    const connection = this.idle.pop() ?? (this.busy.size < this.size ? this.make() : undefined);
    if (connection) {
      this.busy.add(connection);
      return Promise.resolve(connection);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          resolve(undefined);
        }, Math.max(0, deadline - performance.now())),
      };
      this.queue.push(waiter);
    });
  }

  /** Gives a connection back: to the first queued reader, else to the idle list. */
  release(connection: Redis | Cluster): void {
    if (this.closed || connection.status === "end") {
      this.busy.delete(connection);
      connection.disconnect();
      return;
    }
    const next = this.queue.shift();
    if (next) {
      clearTimeout(next.timer);
      next.resolve(connection);
      return;
    }
    this.busy.delete(connection);
    this.idle.push(connection);
  }

  /** Ends queued reads with ConnectionClosed and drops every connection (a blocked command then fails). */
  close(): void {
    this.closed = true;
    for (const waiter of this.queue.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(this.closedError());
    }
    for (const connection of [...this.idle.splice(0), ...this.busy]) connection.disconnect();
    this.busy.clear();
  }

  private closedError(): ConnectionClosed {
    return new ConnectionClosed("The Redis result backend was closed while a blocking getResult waited.", { written: "no" });
  }
}
