export { type Scrape, scrape, parseExposition, sampleKey, value } from "@q/test-support";

/** The seven metrics with Dramatiq's types and HELP texts (spec 12, checked against dramatiq 2.2.1). */
export const DRAMATIQ_METRICS: Record<string, [type: string, help: string]> = {
  dramatiq_messages_total: ["counter", "The total number of messages processed."],
  dramatiq_message_errors_total: ["counter", "The total number of errored messages."],
  dramatiq_message_retries_total: ["counter", "The total number of retried messages."],
  dramatiq_message_rejects_total: ["counter", "The total number of dead-lettered messages."],
  dramatiq_messages_inprogress: ["gauge", "The number of messages in progress."],
  dramatiq_delayed_messages_inprogress: ["gauge", "The number of delayed messages in memory."],
  dramatiq_message_duration_milliseconds: ["histogram", "The time spent processing messages."],
};

export const DRAMATIQ_BUCKETS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000, 30000, 60000, 600000, 900000, "+Inf"];
