import * as main from "../index";
import * as brokerApi from "./index";

const HELPERS = ["QUEUE_NAME_PATTERN", "Wakeup", "checkPart", "computeBackoff", "dqName", "inspectStored", "isReadOnlyError", "qName", "readOption", "readPage", "redactAuthCommand", "redactRedisUrl", "requeuedCopy", "sentinelRedisOptions", "settleWithin", "toWireKey", "uuid4", "validateRedisUrl", "xqName"];

describe("@q/core/broker", () => {
  it("exports exactly the helpers for writing brokers and middleware", () => {
    expect(Object.keys(brokerApi).sort()).toEqual(HELPERS);
    for (const name of HELPERS) expect(brokerApi[name as keyof typeof brokerApi]).toBeDefined();
  });

  it("has them instead of the main entry: each name is in one place", () => {
    expect(HELPERS.filter((name) => name in main)).toEqual([]);
  });

  it("leaves the Broker base class and the errors in the main entry", () => {
    expect(typeof main.Broker).toBe("function");
    expect(typeof main.QError).toBe("function");
    expect("Broker" in brokerApi).toBe(false);
  });
});
