/**
 * The recipes' actors, declared on one broker. The `q` worker declares them through
 * `tasks.ts` on the global broker; the web apps and the tests call this with their own.
 */
import { type Broker, actor } from "@q/core";

/** The queue every recipe actor is on; default `RECIPES_QUEUE`, else `recipes`. */
export function recipesQueue(): string {
  return process.env.RECIPES_QUEUE ?? "recipes";
}

/**
 * Declares every recipe actor on `broker`.
 *
 * @example
 * const { add } = declareTasks(broker);
 * const message = await add.send(1, 2);
 */
export function declareTasks(broker: Broker, queueName: string = recipesQueue()) {
  const log = broker.rootLogger.child({ name: "recipes" });
  const on = { broker, queueName };

  // The cookbook's "Storing message results" actor, enqueued by the web apps.
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { ...on, storeResults: true });

  // The web apps' failure path. Dividing by zero never starts working on a retry, so the
  // error is listed in `throws`: Retries dead-letters it at once and Results stores the failure.
  const divide = actor(
    function divide(a: number, b: number) {
      if (b === 0) throw new RangeError(`cannot divide ${a} by zero`);
      return a / b;
    },
    { ...on, storeResults: true, throws: RangeError },
  );

  // The cookbook's scheduling recipe (APScheduler's print_current_date): what the
  // scheduler enqueues. It gets the tick it was scheduled for, so duplicates would show.
  const printCurrentDate = actor(function printCurrentDate(scheduledFor: string) {
    log.info(`Scheduled for ${scheduledFor}, running at ${new Date().toISOString()}.`);
  }, on);

  return { add, divide, printCurrentDate };
}

/** The actors {@link declareTasks} declares. */
export type Tasks = ReturnType<typeof declareTasks>;
