import pino from "pino";
import { RecordingBroker } from "../../test/support/RecordingBroker";
import { defaultLogger, setDefaultLogger } from "./defaultLogger";

test("setDefaultLogger gives brokers made afterwards that logger", () => {
  const before = defaultLogger();
  const lines: string[] = [];
  const mine = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  try {
    setDefaultLogger(mine);
    expect(defaultLogger()).toBe(mine);
    // RecordingBroker passes a silent logger unless given one: undefined means "the default".
    const broker = new RecordingBroker({ logger: undefined });
    broker.logger.info("hello");
    expect(lines.map((l) => JSON.parse(l))).toEqual([expect.objectContaining({ name: "q.broker.RecordingBroker", msg: "hello" })]);
  } finally {
    setDefaultLogger(before);
  }
});
