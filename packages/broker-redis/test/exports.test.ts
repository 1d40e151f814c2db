import * as api from "../src";

test("the package exports the broker and nothing of its internals (no DISPATCH_LUA)", () => {
  expect(Object.keys(api).sort()).toEqual(["EnqueueNotReplicated", "RedisBroker", "RedisClusterMisconfigured"]);
});
