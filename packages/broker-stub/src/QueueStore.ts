/**
 * Internal: one in-memory queue of encoded messages, with Dramatiq's "unfinished
 * tasks" count (put → +1, done → −1) that `join` waits on. Event-driven: waiters are
 * woken on change, nothing polls.
 */
export class QueueStore {
  private items: Buffer[] = [];
  private head = 0;
  /** Messages put and not yet acked or nacked (waiting or outstanding). */
  unfinished = 0;
  private listeners = new Set<() => void>();

  get size(): number {
    return this.items.length - this.head;
  }

  put(data: Buffer): void {
    this.unfinished++;
    this.push(data);
  }

  /** Puts a fetched message back at the tail; it is still unfinished. */
  putBack(data: Buffer): void {
    this.push(data);
  }

  /** The waiting messages, oldest first (a copy). */
  waiting(): Buffer[] {
    return this.items.slice(this.head);
  }

  /** Removes the first waiting message `match` accepts; whether one was there. */
  remove(match: (data: Buffer) => boolean): boolean {
    for (let i = this.head; i < this.items.length; i++) {
      if (match(this.items[i]!)) {
        this.items.splice(i, 1);
        this.unfinished = Math.max(0, this.unfinished - 1);
        this.notify();
        return true;
      }
    }
    return false;
  }

  take(): Buffer | undefined {
    if (this.head >= this.items.length) return undefined;
    const data = this.items[this.head]!;
    this.items[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return data;
  }

  done(): void {
    this.unfinished = Math.max(0, this.unfinished - 1);
    this.notify();
  }

  clear(): void {
    this.unfinished -= this.size;
    if (this.unfinished < 0) this.unfinished = 0;
    this.items = [];
    this.head = 0;
    this.notify();
  }

  /** Calls `fn` on every change until the returned function is called. */
  listen(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify(): void {
    for (const fn of [...this.listeners]) fn();
  }

  private push(data: Buffer): void {
    this.items.push(data);
    this.notify();
  }
}
