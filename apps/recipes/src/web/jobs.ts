/**
 * What the Express and Fastify apps share: turning a request into a message and a message
 * id into a job status. The frameworks only translate HTTP to these calls and back, so both
 * apps answer exactly alike.
 */
import { type Actor, ArgumentError, type Broker, ConnectionError, EncodeError, type ResultBackend, ResultFailure, ResultMissing, ResultTimeout, Results, isQError } from "@q/core";

/** The actors a client may run through `POST /jobs`, by the `op` it names. */
export const JOB_ACTORS = ["add", "divide"] as const;
export type JobActorName = (typeof JOB_ACTORS)[number];

/** Longest `?wait=` a status request may block for, ms. */
export const MAX_WAIT = 10_000;

/** An HTTP answer, framework-neutral. */
export interface JobResponse {
  status: number;
  body: Record<string, unknown>;
  location?: string;
}

/** The two operations of the jobs API. */
export interface JobsApi {
  /** `POST /jobs` with `{ a, b, op? }`: 202 with the message id and where to poll. */
  submit(body: unknown): Promise<JobResponse>;
  /** `GET /jobs/:id?actor=&wait=`: 202 pending, 200 done or failed. */
  status(id: string, query: Record<string, unknown>): Promise<JobResponse>;
  /** Any error either throws, as an answer: 400 for bad input, 503 for a broker or store that is down. */
  errorResponse(error: unknown): JobResponse;
}

// Dramatiq's message ids are UUIDs; checking the shape keeps junk out of result-key lookups.
const MESSAGE_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The jobs API over `broker`'s actors (see `declareTasks`) and its Results middleware's
 * backend, mounted at `basePath`.
 *
 * A result is stored under its message's queue, actor and id, so the poll URL carries the
 * actor (`/jobs/<id>?actor=divide`); the queue is the actor's own. Nothing is kept in the web
 * process, so any instance of it can answer any poll.
 *
 * @example
 * const api = jobsApi(broker);
 * const { status, body } = await api.submit({ a: 1, b: 2 }); // 202, { id, actor: "add", poll: "/jobs/<id>?actor=add", ... }
 */
export function jobsApi(broker: Broker, basePath = "/jobs"): JobsApi {
  const actors = new Map<string, Actor<any, any>>();
  for (const name of JOB_ACTORS) {
    const actor = broker.actors.get(name);
    if (!actor) throw new ArgumentError(`The jobs API needs the ${name} actor on the broker: call declareTasks(broker) first.`);
    actors.set(name, actor);
  }
  const results = broker.middleware.find((m): m is Results => m instanceof Results);
  if (!results) throw new ArgumentError("The jobs API polls results: add the Results middleware to the broker (createRecipesBroker does).");
  const backend: ResultBackend = results.backend;

  function actorNamed(value: unknown, field: string): Actor<any, any> {
    const name = value === undefined ? "add" : value;
    const actor = typeof name === "string" ? actors.get(name) : undefined;
    if (!actor) throw new ArgumentError(`${field} must be one of ${JOB_ACTORS.join(", ")}, got ${JSON.stringify(name) ?? String(name)}.`);
    return actor;
  }

  return {
    async submit(body) {
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ArgumentError('The body must be a JSON object such as {"a": 1, "b": 2}.');
      const { a, b, op } = body as Record<string, unknown>;
      for (const [name, value] of [["a", a], ["b", b]] as const) {
        if (typeof value !== "number" || !Number.isFinite(value)) throw new ArgumentError(`${name} must be a finite number, got ${JSON.stringify(value) ?? "nothing"}.`);
      }
      const actor = actorNamed(op, "op");
      const message = await actor.send(a, b);
      const poll = `${basePath}/${message.messageId}?actor=${actor.actorName}`;
      return { status: 202, location: poll, body: { id: message.messageId, actor: actor.actorName, status: "pending", poll } };
    },

    async status(id, query) {
      if (!MESSAGE_ID.test(id)) throw new ArgumentError(`${JSON.stringify(id)} is not a message id (a UUID such as the id POST /jobs returned).`);
      const actor = actorNamed(query.actor, "actor");
      const wait = query.wait === undefined ? 0 : Number(query.wait);
      if (!Number.isInteger(wait) || wait < 0 || wait > MAX_WAIT) throw new ArgumentError(`wait must be a whole number of milliseconds from 0 to ${MAX_WAIT}, got ${JSON.stringify(query.wait)}.`);
      const parts = { queueName: actor.queueName, actorName: actor.actorName, messageId: id };
      const base = { id, actor: actor.actorName };
      try {
        // With ?wait= the Redis backend blocks on the server (long polling), no busy loop here.
        const result = await backend.getResult(parts, wait > 0 ? { block: true, timeout: wait } : {});
        return { status: 200, body: { ...base, status: "done", result } };
      } catch (error) {
        if (error instanceof ResultMissing || error instanceof ResultTimeout) return { status: 202, body: { ...base, status: "pending" } };
        if (error instanceof ResultFailure) return { status: 200, body: { ...base, status: "failed", error: { type: error.origExcType, message: error.origExcMsg } } };
        throw error;
      }
    },

    errorResponse(error) {
      // Bad input: the QError's own message says what was wrong.
      if (error instanceof ArgumentError || error instanceof EncodeError) return { status: 400, body: { error: error.message } };
      if (error instanceof ConnectionError) return { status: 503, body: { error: `The queue is unavailable: ${error.message}` } };
      return { status: 500, body: { error: isQError(error) ? error.message : "Internal error" } };
    },
  };
}
