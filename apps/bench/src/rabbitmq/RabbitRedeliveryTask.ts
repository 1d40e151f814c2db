import type { RabbitSide } from "./RabbitTask";

/** The actor (Dramatiq actor_name) of every redelivery job. */
export const REDELIVERY_ACTOR = "bench_rabbit_redelivery_job";

/** What one RabbitMQ redelivery worker child does (./rabbitRedeliveryChild.ts). */
export interface RabbitRedeliveryTask {
  side: RabbitSide;
  url: string;
  queue: string;
  /** Completions after which the child reports its result (it may be killed before). */
  n: number;
  /** How long each job's handler takes (ms). */
  jobMs: number;
  /** After the n-th completion, how long to keep listening for a duplicate (ms). */
  graceMs: number;
}

/** Child → parent; the parent's only message is "go". */
export type RabbitRedeliveryMessage =
  | { type: "ready" }
  | { type: "started"; t: number }
  | { type: "job"; phase: "start" | "done"; i: number; t: number }
  | { type: "result"; starts: number[]; completed: number }
  | { type: "error"; message: string };
