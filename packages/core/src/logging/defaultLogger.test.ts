import pino from "pino";
import { RecordingBroker } from "../../test/support/RecordingBroker";
import { defaultLogger, setDefaultLogger } from "./defaultLogger";
import type * as DefaultLoggerModule from "./defaultLogger";

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

/** A fresh copy of the module (nothing made yet), with `env` set while it makes the logger. */
function freshDefaultLogger(env: Record<string, string | undefined>): () => unknown {
  let mod!: typeof DefaultLoggerModule;
  jest.isolateModules(() => {
    mod = jest.requireActual<typeof DefaultLoggerModule>("./defaultLogger");
  });
  return () => {
    const saved = { LOG_LEVEL: process.env.LOG_LEVEL, Q_LOG_FORMAT: process.env.Q_LOG_FORMAT };
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    try {
      return mod.defaultLogger();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
}

test("the default logger writes warnings and worse unless LOG_LEVEL says otherwise", () => {
  expect((freshDefaultLogger({ LOG_LEVEL: undefined, Q_LOG_FORMAT: undefined })() as { level: string }).level).toBe("warn");
  expect((freshDefaultLogger({ LOG_LEVEL: "debug", Q_LOG_FORMAT: "json" })() as { level: string }).level).toBe("debug");
});

test("a Q_LOG_FORMAT or LOG_LEVEL it cannot use throws a ConfigurationError naming the variable", () => {
  const badFormat = freshDefaultLogger({ Q_LOG_FORMAT: "yaml" });
  expect(badFormat).toThrow(expect.objectContaining({ code: "Q_CONFIGURATION_ERROR", message: 'Q_LOG_FORMAT must be "text" or "json", got "yaml".' }));
  const badLevel = freshDefaultLogger({ LOG_LEVEL: "loud", Q_LOG_FORMAT: undefined });
  expect(badLevel).toThrow(expect.objectContaining({ code: "Q_CONFIGURATION_ERROR", message: expect.stringMatching(/^LOG_LEVEL: Unknown log level "loud"/) }));
});
