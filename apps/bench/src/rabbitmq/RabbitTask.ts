/** The two sides of the RabbitMQ benchmark: @q's broker and a plain amqplib loop (the ceiling). */
export const RABBIT_SIDES = ["q", "amqplib"] as const;
export type RabbitSide = (typeof RABBIT_SIDES)[number];

/** The actor name both sides put in their messages. */
export const JOB = "bench_rabbit_job";

/** What one child process does: publish N messages, or drain N with a consumer. */
export interface RabbitTask {
  role: "publish" | "drain";
  side: RabbitSide;
  url: string;
  queue: string;
  n: number;
  /** Publisher confirms on the publishing channel (the durability setting shared by both sides). */
  confirm: boolean;
  /** Messages processed at once (@q worker concurrency; the plain loop's prefetch is 2 × this, as @q's). */
  concurrency: number;
}

/** Child → parent. */
export type RabbitChildMessage =
  | { type: "ready" }
  | { type: "result"; elapsedMs: number; cpuMs: number; handled: number; rssIdleMb?: number; rssEndMb?: number }
  | { type: "error"; message: string };
