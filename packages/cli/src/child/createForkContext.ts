import type { ForkContext, WorkerProcessInfo, WorkerValue } from "@q/core";
import type { SupervisorMessage } from "../protocol";
import { sendToSupervisor } from "./sendToSupervisor";

/** How much longer than the supervisor's own timeout a collect may take to come back. */
const COLLECT_SLACK_MS = 1000;
/** Most publish/exit events held while the fork function sets up. */
const MAX_HELD = 10_000;

type ForkEvent = Extract<SupervisorMessage, { type: "published" | "workerExit" }>;

/**
 * A fork process's core ForkContext over the IPC channel. Listens from the start, and
 * `ready` resolves once the supervisor's `init` (the kept values) has arrived, so the
 * fork function sees what an earlier copy kept. Publish and exit events (e.g. the backlog
 * of a restart) are held, in order, until `deliver()` is called once the fork function
 * has returned and its listeners are in place.
 */
export function createForkContext(): { context: ForkContext; ready: Promise<void>; deliver: () => void } {
  const kept = new Map<string, unknown>();
  const collects = new Map<number, (values: WorkerValue[]) => void>();
  const publishListeners = new Map<string, ((value: WorkerValue) => void)[]>();
  const exitListeners: ((worker: WorkerProcessInfo) => void)[] = [];
  let nextId = 1;
  let init!: () => void;
  const ready = new Promise<void>((resolve) => (init = resolve));
  let held: ForkEvent[] | undefined = [];
  const dispatch = (m: ForkEvent) => {
    if (m.type === "published") for (const listener of publishListeners.get(m.topic) ?? []) listener({ worker: m.worker, value: m.value });
    else for (const listener of exitListeners) listener(m.worker);
  };

  process.on("message", (m: SupervisorMessage) => {
    switch (m?.type) {
      case "init":
        for (const [key, value] of m.kept) if (!kept.has(key)) kept.set(key, value);
        init();
        break;
      case "collected":
        collects.get(m.id)?.(m.values);
        break;
      case "published":
      case "workerExit":
        if (!held) dispatch(m);
        else if (held.length < MAX_HELD) held.push(m);
        break;
    }
  });

  const context: ForkContext = {
    collect(topic, options) {
      const id = nextId++;
      return new Promise<WorkerValue[]>((resolve) => {
        const done = (values: WorkerValue[]) => {
          collects.delete(id);
          clearTimeout(timer);
          resolve(values);
        };
        // The supervisor always answers; this only covers a supervisor that went away.
        const timer = setTimeout(() => done([]), options.timeout + COLLECT_SLACK_MS);
        collects.set(id, done);
        sendToSupervisor({ type: "collect", id, topic, request: options.request, timeout: options.timeout, workers: options.workers ?? "all" });
        if (!process.connected) done([]);
      });
    },
    onPublish(topic, listener) {
      publishListeners.set(topic, [...(publishListeners.get(topic) ?? []), listener]);
    },
    onWorkerExit(listener) {
      exitListeners.push(listener);
    },
    keep(key, value) {
      kept.set(key, value);
      sendToSupervisor({ type: "keep", key, value });
    },
    kept(key) {
      return kept.get(key);
    },
  };
  const deliver = () => {
    const events = held ?? [];
    held = undefined;
    for (const m of events) dispatch(m);
  };
  return { context, ready, deliver };
}
