/**
 * A binary min-heap ordered by `(key, insertion order)`: FIFO among equal keys.
 * Internal to the worker (prefetched work by actor priority, parked delays by eta).
 */
export class PriorityQueue<T> {
  private readonly heap: { key: number; seq: number; value: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(key: number, value: T): void {
    const h = this.heap;
    h.push({ key, seq: this.seq++, value });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** The smallest key, without removing it. */
  peekKey(): number | undefined {
    return this.heap[0]?.key;
  }

  pop(): T | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top.value;
  }

  /** Removes and returns the values that match, in order; keeps the rest (rare: a lost consumer's work). */
  removeWhere(match: (value: T) => boolean): T[] {
    const h = this.heap;
    h.sort((x, y) => x.key - y.key || x.seq - y.seq); // a sorted array is a valid heap
    const removed: T[] = [];
    let kept = 0;
    for (const entry of h) {
      if (match(entry.value)) removed.push(entry.value);
      else h[kept++] = entry;
    }
    h.length = kept;
    return removed;
  }

  /** Removes and returns everything, in order. */
  drain(): T[] {
    const out: T[] = [];
    while (this.heap.length) out.push(this.pop()!);
    return out;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.key < y.key || (x.key === y.key && x.seq < y.seq);
  }
}
