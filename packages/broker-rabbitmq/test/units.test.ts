// The pure pieces: pika-typed integers, the delay buckets, URL lists.
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
    expect(Object.keys(queueArguments("q", 10))).toEqual(["x-dead-letter-exchange", "x-dead-letter-routing-key", "x-max-priority"]);
    expect(queueArguments("q", undefined)).toEqual({ "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "q.XQ" });
    expect(deadLetterArguments(604800000)).toEqual({ "x-message-ttl": { "!": "int", value: 604800000 } });
    expect(bucketArguments("q", 64)).toEqual({
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "q.DQ",
      "x-message-ttl": { "!": "int", value: 64000 },
    });
  });
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
});
