/**
 * Python Dramatiq (the real one, INTEROP_PYTHON) and quorum queues, on a dedicated node.
 * Dramatiq 2.x always declares classic queues, before every send and when a worker
 * starts, so on a queue @q declared as quorum it can neither send nor consume: what each
 * side then does is pinned here. A Dramatiq subclass declaring the same quorum arguments
 * (test/python/quorum_peer.py) shares the queues both ways.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { Message, actor } from "@q/core";
import { waitFor } from "@q/test-support";
import { QueueMismatch } from "../src";
import { useHarness } from "./harness";
import { useRabbitServer } from "./rabbitServer";

jest.setTimeout(60_000);

const PYTHON = process.env.INTEROP_PYTHON ?? path.resolve(__dirname, "../../../.venv-interop/bin/python");
const PEER = path.join(__dirname, "python", "quorum_peer.py");

const server = useRabbitServer();
const h = useHarness(() => server().url());

beforeAll(() => {
  if (!existsSync(PYTHON)) throw new Error(`No interop Python at ${PYTHON}: run bash tooling/scripts/python-env.sh`);
});

async function peer<T>(...args: string[]): Promise<T> {
  const { stdout } = await promisify(execFile)(PYTHON, [PEER, ...args], { timeout: 45_000 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as T;
}

interface Produced {
  ok: boolean;
  error?: string;
  message?: string;
}

test("a Python producer on a quorum queue @q declared: send raises dramatiq ConnectionClosed (PRECONDITION_FAILED), nothing is enqueued", async () => {
  const queue = h.queue("py_qq_send");
  await h.broker({ queueType: "quorum", confirmDelivery: true }).enqueue(new Message({ queueName: queue, actorName: "peer_job" }));
  const out = await peer<Produced>("produce", server().url(), queue);
  expect(out).toMatchObject({ ok: false, error: "dramatiq.errors.ConnectionClosed" });
  expect(out.message).toMatch(/PRECONDITION_FAILED - inequivalent arg 'x-[a-z-]+' for queue/);
  expect(await h.python.count(queue)).toBe(1); // only @q's message
});

test("a Python worker on a quorum queue @q declared never consumes: its consumer fails to declare and restarts, logging, without exiting", async () => {
  const queue = h.queue("py_qq_work");
  const broker = h.broker({ queueType: "quorum", confirmDelivery: true });
  await broker.enqueue(new Message({ queueName: queue, actorName: "peer_job", args: [1] }));
  const out = await peer<{ ran: number[]; log: string[] }>("worker", server().url(), queue, "4");
  expect(out.ran).toEqual([]);
  for (const consumer of [queue, `${queue}.DQ`]) {
    const errors = out.log.filter((l) => l.startsWith(`CRITICAL dramatiq.worker.ConsumerThread(${consumer}): Consumer encountered a connection error: (406, "PRECONDITION_FAILED - inequivalent arg`));
    expect(errors.length).toBeGreaterThanOrEqual(1);
  }
  expect(await h.python.count(queue)).toBe(1); // still there, untouched
});

test("@q with queueType quorum on a classic queue Python declared: QueueMismatch at send and at worker start", async () => {
  const queue = h.queue("py_classic");
  expect(await peer<Produced>("produce", server().url(), queue)).toMatchObject({ ok: true });
  const broker = h.broker({ queueType: "quorum", confirmDelivery: true });
  await expect(broker.enqueue(new Message({ queueName: queue, actorName: "peer_job" }))).rejects.toThrow(
    new RegExp(`RabbitMQ refused to declare ${queue}: it exists as a classic queue and this broker declares quorum queues`),
  );
  actor(function peer_job() {}, { broker, queueName: queue });
  const worker = await h.worker(broker);
  await expect(worker.whenConnected()).rejects.toThrow(QueueMismatch);
  expect(await h.python.count(queue)).toBe(1); // Python's message waits for a classic worker
});

test("a Dramatiq subclass declaring the same quorum arguments shares the queues both ways", async () => {
  const queue = h.queue("py_qq_shared");
  const broker = h.broker({ queueType: "quorum", confirmDelivery: true });
  const ran: number[] = [];
  actor(
    function peer_job(n: number) {
      ran.push(n);
    },
    { broker, queueName: queue },
  );
  // Python first: it declares the quorum queues, @q re-declares them without PRECONDITION_FAILED.
  expect(await peer<Produced>("produce", server().url(), queue, "quorum")).toMatchObject({ ok: true });
  await h.worker(broker);
  await waitFor("the Python message on the @q worker", () => ran.length === 1);
  expect(ran).toEqual([1]);
  // @q first: the Python worker re-declares and consumes.
  const other = h.queue("py_qq_shared2");
  await h.broker({ queueType: "quorum", confirmDelivery: true }).enqueue(new Message({ queueName: other, actorName: "peer_job", args: [7] }));
  const out = await peer<{ ran: number[]; log: string[] }>("worker", server().url(), other, "3", "quorum");
  expect(out).toEqual({ ran: [7], log: [] });
});
