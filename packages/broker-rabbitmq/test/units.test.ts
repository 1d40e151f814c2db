// The pure pieces: pika-typed integers, the delay buckets, URL lists, option checks.
import { ConfigurationError, QError } from "@q/core";
import { silentLogger } from "@q/test-support";
import { RabbitmqBroker, type RabbitmqBrokerOptions } from "../src";
import { BUCKET_SECONDS, bucketFor, bucketQueueName } from "../src/delayBuckets";
import { parseUrls, redactUrl, withHeartbeat } from "../src/parseUrls";
import { amqpInt, bucketArguments, deadLetterArguments, queueArguments } from "../src/queueArguments";

describe("queue arguments", () => {
  test("integers are typed as pika types them: signed 32-bit when they fit, else signed 64-bit", () => {
    expect(amqpInt(10)).toEqual({ "!": "int", value: 10 });
    expect(amqpInt(604800000)).toEqual({ "!": "int", value: 604800000 });
    expect(amqpInt(2 ** 31 - 1)["!"]).toBe("int");
    expect(amqpInt(2 ** 31)).toEqual({ "!": "long", value: 2 ** 31 });
    expect(amqpInt(-(2 ** 31) - 1)["!"]).toBe("long");
  });

  test("Dramatiq's arguments, in Dramatiq's key order", () => {
    expect(Object.keys(queueArguments("q", { ...CLASSIC, maxPriority: 10 }))).toEqual(["x-dead-letter-exchange", "x-dead-letter-routing-key", "x-max-priority"]);
    expect(queueArguments("q", CLASSIC)).toEqual({ "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "q.XQ" });
    expect(deadLetterArguments(604800000, CLASSIC)).toEqual({ "x-message-ttl": { "!": "int", value: 604800000 } });
    expect(bucketArguments("q", 64, CLASSIC)).toEqual({
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "q.DQ",
      "x-message-ttl": { "!": "int", value: 64000 },
    });
  });
});

const CLASSIC = { queueType: "classic" } as const;
const QUORUM = { queueType: "quorum" } as const;

test("quorum queues: x-queue-type on every queue, at-least-once dead-lettering where they dead-letter", () => {
  const dl = { "x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish" };
  expect(queueArguments("q", { ...QUORUM, deliveryLimit: 5 })).toEqual({
    "x-dead-letter-exchange": "",
    "x-dead-letter-routing-key": "q.XQ",
    "x-queue-type": "quorum",
    ...dl,
    "x-delivery-limit": { "!": "int", value: 5 },
  });
  expect(deadLetterArguments(1000, QUORUM)).toEqual({ "x-message-ttl": { "!": "int", value: 1000 }, "x-queue-type": "quorum" });
  expect(bucketArguments("q", 4, QUORUM)).toMatchObject({ "x-dead-letter-routing-key": "q.DQ", "x-queue-type": "quorum", ...dl });
});

describe("delay buckets", () => {
  test("are powers of 4 seconds, 1 s to 4^12 s", () => {
    expect(BUCKET_SECONDS.slice(0, 4)).toEqual([1, 4, 16, 64]);
    expect(BUCKET_SECONDS.at(-1)).toBe(4 ** 12);
    expect(bucketQueueName("emails", 64)).toBe("emails.DQ.wait.64");
  });

  test("a message goes to the longest bucket that ends before its eta", () => {
    expect(bucketFor(999)).toBeUndefined();
    expect(bucketFor(1000)).toBe(1);
    expect(bucketFor(9000)).toBe(4);
    expect(bucketFor(10 * 60_000)).toBe(256);
    expect(bucketFor(365 * 24 * 3600_000)).toBe(4 ** 12);
  });

  test("a one-week delay takes about a dozen hops before it is within a 5-minute hold", () => {
    let remaining = 7 * 24 * 3600_000;
    let hops = 0;
    while (remaining > 300_000) {
      remaining -= bucketFor(remaining)! * 1000;
      hops++;
    }
    expect(hops).toBeLessThanOrEqual(15);
    expect(remaining).toBeGreaterThanOrEqual(0);
  });
});

describe("URLs", () => {
  test("a list, or a ';'-separated string, in order", () => {
    expect(parseUrls(undefined)).toEqual(["amqp://guest:guest@127.0.0.1:5672"]);
    expect(parseUrls("amqp://a/v1; amqps://b:5671/v2")).toEqual(["amqp://a/v1", "amqps://b:5671/v2"]);
    expect(parseUrls(["amqp://a", "amqp://b"])).toEqual(["amqp://a", "amqp://b"]);
  });

  test("heartbeat goes into the query; passwords never into messages", () => {
    expect(withHeartbeat("amqp://u:p@h:5672/%2F", 5)).toBe("amqp://u:p@h:5672/%2F?heartbeat=5");
    expect(withHeartbeat("amqp://h/v?heartbeat=60", 0)).toBe("amqp://h/v?heartbeat=0");
    expect(redactUrl("amqp://user:s3cret@host:5672/v")).toBe("amqp://user:***@host:5672/v");
    expect(redactUrl("amqp://host:5672")).toBe("amqp://host:5672");
  });

  test.each([
    ["amqp://user:s3cret@host:5672/vh?x=a@b", "amqp://user:***@host:5672/vh?x=a@b"],
    ["amqp://host:5672/vh?x=a@b", "amqp://host:5672/vh?x=a@b"],
    ["amqp://user@host:5672", "amqp://user@host:5672"],
    ["amqps://user:p%40ss@host", "amqps://user:***@host"],
    ["redis://user:s3cret@host", "redis://user:***@host"],
    // Not valid URLs: masked all the same.
    ["amqp://user:s3cret@", "amqp://user:***@"],
    ["amqp://user:s3/cr@t@host:5672", "amqp://user:***@host:5672"],
    ["amqp://user:s3#cret@host", "amqp://user:***@host"],
    ["amqp//user:s3cret@host", "amqp//user:***@host"],
    ["amqp://user:s3cr", "amqp://user:***"], // what is left of "amqp://user:s3cr;et@host" split at its ";"
  ])("redactUrl(%j) is %j", (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  test.each([
    ["amqp://user:s3cret@", "Not a valid URL: amqp://user:***@ (percent-encode reserved characters"],
    ["amqp://user:s3/cret@host:99999", "Not a valid URL: amqp://user:***@host:99999 (percent-encode"],
    ["amqp://user:s3cr;et@host", "Not a valid URL: amqp://user:*** (percent-encode"],
    ["rabbitmq://user:s3cret@host", "Expected an amqp:// or amqps:// URL, got rabbitmq://user:***@host."],
    ["amqp//user:s3cret@host", "Not a valid URL: amqp//user:***@host (percent-encode"],
  ])("parseUrls(%j) throws a ConfigurationError without the password", (url, message) => {
    const error = catchError(() => parseUrls(url));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toBeInstanceOf(QError);
    expect((error as Error).message).toContain(message);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain("s3");
    expect((error as Error).cause).toBeUndefined();
  });

  test("a url that is neither a string nor a list of strings, or names no URL: ConfigurationError", () => {
    expectConfigurationError(() => parseUrls(5 as never), "url must be a string or an array of strings, got number.");
    expectConfigurationError(() => parseUrls([5] as never), "Every url must be a string, got number.");
    expectConfigurationError(() => parseUrls(" ; "), "url must name at least one amqp:// or amqps:// URL.");
  });
});

describe("broker options", () => {
  const make = (options: RabbitmqBrokerOptions) => () => new RabbitmqBroker({ logger: silentLogger(), ...options });

  test.each<[RabbitmqBrokerOptions, string]>([
    [{ heartbeat: -1 }, "heartbeat must be a whole number of seconds (0 turns it off), got -1."],
    [{ heartbeat: 1.5 }, "heartbeat must be a whole number of seconds (0 turns it off), got 1.5."],
    [{ maxPriority: 0 }, "maxPriority must be an integer from 1 to 255, got 0."],
    [{ maxPriority: "5" as never }, 'maxPriority must be an integer from 1 to 255, got "5".'],
    [{ maxDelayHold: 10 }, "maxDelayHold must be at least 1000 ms, got 10."],
    [{ deadMessageTtl: 0 }, "deadMessageTtl must be a positive number of milliseconds, got 0."],
    [{ publishTimeout: Number.NaN }, "publishTimeout must be a positive number of milliseconds, got NaN."],
    [{ connectTimeout: -5 }, "connectTimeout must be a positive number of milliseconds, got -5."],
    [{ consumerTimeout: 0 }, "consumerTimeout must be a positive number of milliseconds (Infinity when the server's is off), got 0."],
    [{ url: "amqp://u:s3cret@host:notaport" }, "Not a valid URL: amqp://u:***@host:notaport (percent-encode"],
  ])("%j is refused with a ConfigurationError: %s", (options, message) => {
    const error = catchError(make(options));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(message);
  });

  test("a bad dramatiq_dead_message_ttl in the environment is refused with a ConfigurationError", () => {
    process.env.dramatiq_dead_message_ttl = "soon";
    try {
      expectConfigurationError(make({}), 'dramatiq_dead_message_ttl must be a positive integer (ms), got "soon".');
    } finally {
      delete process.env.dramatiq_dead_message_ttl;
    }
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

function expectConfigurationError(fn: () => unknown, message: string): void {
  const error = catchError(fn);
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as Error).message).toBe(message);
}
