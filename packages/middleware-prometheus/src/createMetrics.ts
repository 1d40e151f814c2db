import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Dramatiq's histogram buckets (ms); prom-client adds +Inf itself. */
export const DURATION_BUCKETS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000, 30000, 60000, 600000, 900000];

const LABELS = ["queue_name", "actor_name"] as const;

/** The seven metrics of Dramatiq's Prometheus middleware, with its names and HELP texts. */
export interface Metrics {
  messages: Counter<(typeof LABELS)[number]>;
  errors: Counter<(typeof LABELS)[number]>;
  retries: Counter<(typeof LABELS)[number]>;
  rejects: Counter<(typeof LABELS)[number]>;
  inProgress: Gauge<(typeof LABELS)[number]>;
  delayed: Gauge<(typeof LABELS)[number]>;
  duration: Histogram<(typeof LABELS)[number]>;
}

/** Registers the seven metrics on `registry`. Internal. */
export function createMetrics(registry: Registry): Metrics {
  const registers = [registry];
  const labelNames = LABELS;
  return {
    messages: new Counter({ name: "dramatiq_messages_total", help: "The total number of messages processed.", labelNames, registers }),
    errors: new Counter({ name: "dramatiq_message_errors_total", help: "The total number of errored messages.", labelNames, registers }),
    retries: new Counter({ name: "dramatiq_message_retries_total", help: "The total number of retried messages.", labelNames, registers }),
    rejects: new Counter({ name: "dramatiq_message_rejects_total", help: "The total number of dead-lettered messages.", labelNames, registers }),
    inProgress: new Gauge({ name: "dramatiq_messages_inprogress", help: "The number of messages in progress.", labelNames, registers }),
    delayed: new Gauge({ name: "dramatiq_delayed_messages_inprogress", help: "The number of delayed messages in memory.", labelNames, registers }),
    duration: new Histogram({
      name: "dramatiq_message_duration_milliseconds",
      help: "The time spent processing messages.",
      labelNames,
      buckets: DURATION_BUCKETS,
      registers,
    }),
  };
}
