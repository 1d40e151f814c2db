import * as main from "../index";
import * as logging from "./index";

describe("@q/core/logging", () => {
  it("exports the main entry's logger makers, the same functions", () => {
    expect(Object.keys(logging).sort()).toEqual(["createLogger", "formatLine"]);
    expect(logging.createLogger).toBe(main.createLogger);
    expect(logging.formatLine).toBe(main.formatLine);
  });
});
