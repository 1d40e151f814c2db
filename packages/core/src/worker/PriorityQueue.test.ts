import { PriorityQueue } from "./PriorityQueue";

/** A small deterministic PRNG (mulberry32), so the shuffled cases are repeatable. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("PriorityQueue", () => {
  it("starts empty", () => {
    const q = new PriorityQueue<string>();
    expect(q.size).toBe(0);
    expect(q.pop()).toBeUndefined();
    expect(q.peekKey()).toBeUndefined();
    expect(q.drain()).toEqual([]);
  });

  it("pops the smallest key first", () => {
    const q = new PriorityQueue<string>();
    q.push(5, "five");
    q.push(-1, "minus one");
    q.push(3, "three");
    q.push(0, "zero");
    expect(q.size).toBe(4);
    expect(q.peekKey()).toBe(-1);
    expect([q.pop(), q.pop(), q.pop(), q.pop()]).toEqual(["minus one", "zero", "three", "five"]);
    expect(q.size).toBe(0);
  });

  it("is FIFO among equal keys", () => {
    const q = new PriorityQueue<number>();
    for (let i = 0; i < 20; i++) q.push(0, i);
    expect(q.drain()).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("orders by key then insertion order for many shuffled entries (a stable sort)", () => {
    const random = seeded(42);
    const q = new PriorityQueue<{ key: number; n: number }>();
    const entries = Array.from({ length: 500 }, (_, n) => ({ key: Math.floor(random() * 10), n }));
    for (const e of entries) q.push(e.key, e);
    const expected = [...entries].sort((a, b) => a.key - b.key || a.n - b.n);
    expect(q.drain()).toEqual(expected);
  });

  it("keeps FIFO order for equal keys across interleaved pushes and pops", () => {
    const q = new PriorityQueue<string>();
    q.push(1, "a1");
    q.push(0, "b0");
    q.push(1, "a2");
    expect(q.pop()).toBe("b0");
    q.push(1, "a3");
    q.push(0, "c0");
    expect(q.drain()).toEqual(["c0", "a1", "a2", "a3"]);
  });

  it("peekKey shows the smallest key without removing it", () => {
    const q = new PriorityQueue<string>();
    q.push(1_700_000_001_000, "later");
    q.push(1_700_000_000_000, "sooner");
    expect(q.peekKey()).toBe(1_700_000_000_000);
    expect(q.size).toBe(2);
    expect(q.pop()).toBe("sooner");
    expect(q.peekKey()).toBe(1_700_000_001_000);
  });

  it("handles fractional and infinite keys", () => {
    const q = new PriorityQueue<string>();
    q.push(Infinity, "inf");
    q.push(0.5, "half");
    q.push(-Infinity, "-inf");
    expect(q.drain()).toEqual(["-inf", "half", "inf"]);
  });

  it("drain removes and returns everything in order, leaving the queue empty and reusable", () => {
    const q = new PriorityQueue<string>();
    q.push(2, "b");
    q.push(1, "a");
    expect(q.drain()).toEqual(["a", "b"]);
    expect(q.size).toBe(0);
    expect(q.drain()).toEqual([]);
    q.push(1, "again");
    expect(q.pop()).toBe("again");
  });

  it("can hold undefined-free falsy values", () => {
    const q = new PriorityQueue<number | string | null>();
    q.push(0, 0);
    q.push(0, "");
    q.push(0, null);
    expect(q.drain()).toEqual([0, "", null]);
  });

  it("removeWhere takes out the matching values in order and keeps the rest in order, still pushable", () => {
    const q = new PriorityQueue<number>();
    const keys = [5, 1, 4, 1, 3, 9, 2, 6, 5, 3];
    keys.forEach((k, i) => q.push(k, i));
    const removed = q.removeWhere((v) => v % 2 === 0);
    // value = insertion index; order is (key, insertion)
    const order = keys.map((k, i) => ({ k, i })).sort((a, b) => a.k - b.k || a.i - b.i).map((e) => e.i);
    expect(removed).toEqual(order.filter((v) => v % 2 === 0));
    q.push(0, 100);
    expect(q.drain()).toEqual([100, ...order.filter((v) => v % 2 === 1)]);
  });
});
