/**
 * The broker module the boot benchmark hands to the real `q` CLI: a RedisBroker on a
 * namespace of its own (Q_BENCH_NAMESPACE) with one no-op actor, i.e. the smallest real app.
 * Not imported by the harness; `q dist/boot/bootBroker.js -p 1` loads it.
 */
import { RedisBroker } from "@q/broker-redis";
import { actor } from "@q/core";

const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const namespace = process.env.Q_BENCH_NAMESPACE ?? "qbench-boot";

/** The broker `q` runs. */
export const broker = new RedisBroker({ url, namespace });

/** One actor, so the worker has a queue to consume. */
export const bootJob = actor(async () => undefined, { broker, actorName: "boot_job", queueName: "boot" });
