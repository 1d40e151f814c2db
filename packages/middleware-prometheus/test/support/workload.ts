import { type Broker, actor } from "@q/core";
import { type Scrape, value } from "./scrape";

/**
 * The same work on every broker: 3 `ok` messages, one `flaky` message that fails both
 * of its attempts (maxRetries 1: one retry, then dead-lettered), one `ok` sent with a
 * delay (parked, then moved). Expected afterwards on queue `queue`: ok 4 processed,
 * flaky 2 processed, 2 errors, 1 retry, 1 reject; no message in progress or delayed.
 */
export function declareWorkload(broker: Broker, queue: string) {
  const ok = actor(async function ok(n: number) { return n; }, { broker, queueName: queue, actorName: `ok_${queue}` });
  const flaky = actor(
    async function flaky() {
      throw new Error("flaky fails");
    },
    { broker, queueName: queue, actorName: `flaky_${queue}`, maxRetries: 1, minBackoff: 10, maxBackoff: 20 },
  );
  return {
    ok,
    flaky,
    async send(delay = 200): Promise<void> {
      for (let i = 0; i < 3; i++) await ok.send(i);
      await flaky.send();
      await ok.sendWithOptions({ args: [9], delay });
    },
  };
}

/** Checks a scrape holds exactly the counts of {@link declareWorkload}'s work, `times` over. */
export function expectWorkloadCounts(s: Scrape, queue: string, times = 1): void {
  const ok = { queue_name: queue, actor_name: `ok_${queue}` };
  const flaky = { queue_name: queue, actor_name: `flaky_${queue}` };
  expect({
    okMessages: value(s, "dramatiq_messages_total", ok),
    flakyMessages: value(s, "dramatiq_messages_total", flaky),
    okErrors: value(s, "dramatiq_message_errors_total", ok) ?? 0,
    flakyErrors: value(s, "dramatiq_message_errors_total", flaky),
    flakyRetries: value(s, "dramatiq_message_retries_total", flaky),
    flakyRejects: value(s, "dramatiq_message_rejects_total", flaky),
    // Gauges of exited processes go away: absent reads as 0.
    okInProgress: value(s, "dramatiq_messages_inprogress", ok) ?? 0,
    okDelayed: value(s, "dramatiq_delayed_messages_inprogress", ok) ?? 0,
    okDurations: value(s, "dramatiq_message_duration_milliseconds_count", ok),
    okInfBucket: value(s, "dramatiq_message_duration_milliseconds_bucket", { ...ok, le: "+Inf" }),
    // The quirks Dramatiq has and @q fixes: no `.DQ` series at all.
    dqSeries: [...s.samples.keys()].filter((k) => k.includes(`queue_name="${queue}.DQ"`)),
  }).toEqual({
    okMessages: 4 * times,
    flakyMessages: 2 * times,
    okErrors: 0,
    flakyErrors: 2 * times,
    flakyRetries: 1 * times,
    flakyRejects: 1 * times,
    okInProgress: 0,
    okDelayed: 0,
    okDurations: 4 * times,
    okInfBucket: 4 * times,
    dqSeries: [],
  });
}
