import * as core from "../index";
import { ConnectionClosed } from "./ConnectionClosed";
import { ConnectionError } from "./ConnectionError";
import { isQError, QError } from "./QError";

/** Every error class core exports, by export name. */
const errorClasses = Object.entries(core).filter(
  (entry): entry is [string, typeof QError] =>
    typeof entry[1] === "function" && (entry[1] === QError || entry[1].prototype instanceof QError),
);

function make(cls: typeof QError): QError {
  // Every constructor takes the message first; DecodeError also wants the data, MessageTooLarge the sizes.
  if (cls === core.DecodeError) return new core.DecodeError("m", "data");
  if (cls === core.MessageTooLarge) return new core.MessageTooLarge("m", { size: 2, limit: 1 });
  if (cls === core.MessageNotFound) return new core.MessageNotFound("m", { messageId: "id" });
  return new cls("m");
}

describe("QError codes", () => {
  it("gives every exported error class its own code: Q_ and the class name in upper snake case", () => {
    const expected: Record<string, string> = {
      QError: "Q_ERROR",
      ConfigurationError: "Q_CONFIGURATION_ERROR",
      BrokerError: "Q_BROKER_ERROR",
      ActorNotFound: "Q_ACTOR_NOT_FOUND",
      QueueNotFound: "Q_QUEUE_NOT_FOUND",
      MessageNotFound: "Q_MESSAGE_NOT_FOUND",
      InspectionUnsupported: "Q_INSPECTION_UNSUPPORTED",
      ConnectionError: "Q_CONNECTION_ERROR",
      ConnectionFailed: "Q_CONNECTION_FAILED",
      ConnectionClosed: "Q_CONNECTION_CLOSED",
      QueueJoinTimeout: "Q_QUEUE_JOIN_TIMEOUT",
      RateLimitExceeded: "Q_RATE_LIMIT_EXCEEDED",
      Retry: "Q_RETRY",
      ResultError: "Q_RESULT_ERROR",
      ResultTimeout: "Q_RESULT_TIMEOUT",
      ResultMissing: "Q_RESULT_MISSING",
      ResultFailure: "Q_RESULT_FAILURE",
      DecodeError: "Q_DECODE_ERROR",
      EncodeError: "Q_ENCODE_ERROR",
      MessageTooLarge: "Q_MESSAGE_TOO_LARGE",
      ActorDefinitionError: "Q_ACTOR_DEFINITION_ERROR",
      ArgumentError: "Q_ARGUMENT_ERROR",
      MiddlewareError: "Q_MIDDLEWARE_ERROR",
      SkipMessage: "Q_SKIP_MESSAGE",
      Interrupt: "Q_INTERRUPT",
      TimeLimitExceeded: "Q_TIME_LIMIT_EXCEEDED",
      Shutdown: "Q_SHUTDOWN",
    };
    const codes = Object.fromEntries(errorClasses.map(([name, cls]) => [name, make(cls).code]));
    // A class added to core later gets its code by the same rule, with no table to update.
    for (const name of Object.keys(codes)) expected[name] ??= `Q_${name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
    expect(codes).toEqual(expected);
    expect(Object.keys(codes).length).toBeGreaterThanOrEqual(24);
    expect(new Set(Object.values(codes)).size).toBe(errorClasses.length);
  });

  it("derives the code of a subclass declared outside core, without any code of its own", () => {
    class PaymentDeclined extends core.BrokerError {}
    class HTTPTimeoutError extends QError {}
    expect(new PaymentDeclined("no").code).toBe("Q_PAYMENT_DECLINED");
    expect(new HTTPTimeoutError("slow").code).toBe("Q_HTTP_TIMEOUT_ERROR");
    expect(new PaymentDeclined("no").name).toBe("PaymentDeclined");
  });

  it("keeps message and cause, and the mark stays out of JSON and enumeration", () => {
    const cause = new Error("ECONNRESET");
    const e = new ConnectionClosed("gone", { cause, written: "no" });
    expect(e.message).toBe("gone");
    expect(e.cause).toBe(cause);
    expect(Object.keys(e).sort()).toEqual(["code", "name", "written"]);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: "Q_CONNECTION_CLOSED", name: "ConnectionClosed", written: "no" });
  });
});

describe("isQError", () => {
  it("is true for every QError and false for anything else", () => {
    for (const [, cls] of errorClasses) expect(isQError(make(cls))).toBe(true);
    expect(isQError(new Error("plain"))).toBe(false);
    expect(isQError({ name: "QError", code: "Q_ERROR", message: "look-alike" })).toBe(false);
    expect(isQError(null)).toBe(false);
    expect(isQError(undefined)).toBe(false);
    expect(isQError("Q_ERROR")).toBe(false);
  });

  it("with a code, matches the class of that code and its subclasses, like instanceof", () => {
    const closed = new ConnectionClosed("gone");
    expect(isQError(closed, "Q_CONNECTION_CLOSED")).toBe(true);
    expect(isQError(closed, "Q_CONNECTION_ERROR")).toBe(true);
    expect(isQError(closed, "Q_BROKER_ERROR")).toBe(true);
    expect(isQError(closed, "Q_ERROR")).toBe(true);
    expect(isQError(closed, "Q_CONNECTION_FAILED")).toBe(false);
    expect(isQError(new ConnectionError("x"), "Q_CONNECTION_CLOSED")).toBe(false);
    expect(isQError(new Error("x"), "Q_ERROR")).toBe(false);
  });

  it("recognises errors from a second copy of @q/core, where instanceof fails", () => {
    let other: typeof core | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh copy of core, as a second install would load
      other = require("../index") as typeof core;
    });
    const copy = other!;
    expect(copy.QError).not.toBe(QError); // really another copy

    const foreign = new copy.ConnectionClosed("from the other copy", { written: "no" });
    expect(foreign instanceof QError).toBe(false);
    expect(foreign instanceof ConnectionClosed).toBe(false);
    expect(isQError(foreign)).toBe(true);
    expect(isQError(foreign, "Q_CONNECTION_ERROR")).toBe(true);
    expect(isQError<ConnectionClosed>(foreign, "Q_CONNECTION_CLOSED") && foreign.written).toBe("no");
    expect(foreign.code).toBe("Q_CONNECTION_CLOSED");

    // and the other way round: the other copy's isQError knows this copy's errors
    expect(copy.isQError(new core.Retry("again"), "Q_RETRY")).toBe(true);
    expect(copy.isQError(new Error("plain"))).toBe(false);
  });
});
