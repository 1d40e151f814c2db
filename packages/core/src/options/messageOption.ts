import type { Actor } from "../actor/Actor";
import { stringifyPython } from "../encoding/stringifyPython";
import type { Broker } from "../broker/Broker";
import { childLogger } from "../logging/childLogger";
import type { MessageProxy } from "../message/MessageProxy";
import { toWireKey } from "./toWireKey";

/** What a message's value of an option must be, and how a warning describes that. */
interface Rule {
  valid(value: unknown): boolean;
  expected: string;
}

const isNumber = (v: unknown): v is number => typeof v === "number" && !Number.isNaN(v);
const milliseconds: Rule = { valid: (v) => isNumber(v) && Number.isFinite(v) && v >= 0, expected: "a non-negative number of milliseconds" };
const actorName: Rule = { valid: (v) => v === null || typeof v === "string", expected: "an actor name or null" };
const boolean: Rule = { valid: (v) => v === null || typeof v === "boolean", expected: "true, false or null" };

/**
 * The values a received message may carry for each option the default middleware read.
 * They accept what Python writes (`Infinity` for "no limit" or "retry forever"), so a
 * Python message is never second-guessed; anything else is ignored with a warning.
 * Options not listed here are used as they are.
 */
const RULES: Readonly<Record<string, Rule>> = {
  maxRetries: {
    valid: (v) => v === null || v === Infinity || (Number.isInteger(v) && (v as number) >= 0),
    expected: "a non-negative integer, or null to retry forever",
  },
  minBackoff: milliseconds,
  maxBackoff: milliseconds,
  timeLimit: { valid: (v) => v === null || (isNumber(v) && v > 0), expected: "a positive number of milliseconds, Infinity or null" },
  maxAge: { valid: (v) => v === null || (isNumber(v) && v >= 0), expected: "a non-negative number of milliseconds or null" },
  notifyShutdown: boolean,
  pipeIgnore: boolean,
  onSuccess: actorName,
  onFailure: actorName,
  onRetryExhausted: actorName,
};

/** Which (message, option) pairs were already warned about: one warning per delivery and option. */
const warned = new WeakMap<MessageProxy, Set<string>>();

/**
 * Internal: reads an option as {@link readOption} does (the message's value, then the
 * actor's, then `fallback`), except that a message value of the wrong type or range is
 * not used: it is logged once as a warning that names the message, the option and the
 * value, and the actor's option or `fallback` applies, as if the message had none.
 * Messages come from any producer, so a bad value must neither crash a middleware nor
 * quietly change what it does (`max_retries: "lots"` would otherwise retry forever).
 *
 * `loggerName` names the reading middleware's logger (a child of the broker's).
 *
 * @example
 * const limit = messageOption(broker, "q.middleware.time_limit.TimeLimit", message, actor, "timeLimit", 600_000);
 */
export function messageOption<T>(
  broker: Broker,
  loggerName: string,
  message: MessageProxy,
  actor: Actor<any, any> | undefined,
  name: string,
  fallback: T,
): T {
  const wire = toWireKey(name);
  const value = message.options[wire];
  const fromActor = actor?.options[name];
  if (value !== undefined) {
    const rule = RULES[name];
    if (!rule || rule.valid(value)) return value as T;
    const instead = fromActor !== undefined ? `the actor's ${name} (${show(fromActor)})` : `the default (${show(fallback)})`;
    warnInvalid(broker, loggerName, message, wire, value, `expected ${rule.expected}; using ${instead} instead`);
  }
  return fromActor !== undefined ? (fromActor as T) : fallback;
}

/**
 * Internal: logs, once per delivery and option, that a message's option has a value
 * that cannot be used, and what happens instead (`consequence`).
 *
 * @example
 * warnInvalid(broker, "q.middleware.retries.Retries", message, "retries", "a", "expected a non-negative integer; counting from 0");
 */
export function warnInvalid(broker: Broker, loggerName: string, message: MessageProxy, wire: string, value: unknown, consequence: string): void {
  let options = warned.get(message);
  if (!options) warned.set(message, (options = new Set()));
  if (options.has(wire)) return;
  options.add(wire);
  childLogger(broker, loggerName).warn(`Message ${message.messageId} has an invalid ${wire} option ${show(value)} (${consequence}).`);
}

/** A value as it would be written in the message, cut short: log lines stay small. */
function show(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? "none" : (stringifyPython(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
