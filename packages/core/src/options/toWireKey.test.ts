import { toWireKey } from "./toWireKey";

describe("toWireKey", () => {
  it.each([
    ["maxRetries", "max_retries"],
    ["minBackoff", "min_backoff"],
    ["maxBackoff", "max_backoff"],
    ["onRetryExhausted", "on_retry_exhausted"],
    ["maxAge", "max_age"],
    ["timeLimit", "time_limit"],
    ["notifyShutdown", "notify_shutdown"],
    ["onSuccess", "on_success"],
    ["onFailure", "on_failure"],
    ["pipeIgnore", "pipe_ignore"],
    ["pipeTarget", "pipe_target"],
    ["brokerPriority", "broker_priority"],
    ["storeResults", "store_results"],
    ["resultTtl", "result_ttl"],
  ])("spells %s as Dramatiq's %s", (name, wire) => {
    expect(toWireKey(name)).toBe(wire);
  });

  it("leaves lowercase and already snake_case keys unchanged", () => {
    expect(toWireKey("eta")).toBe("eta");
    expect(toWireKey("retries")).toBe("retries");
    expect(toWireKey("redis_message_id")).toBe("redis_message_id");
  });
});
