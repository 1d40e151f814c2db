// The unit-test sample of the root README, run as written (test/docs.test.ts checks that the
// two stay identical). The README's first sample is compiled by test/docs.test.ts.
import { StubBroker } from "@q/broker-stub";
import { actor, Worker } from "@q/core";

// Keep the worker's info lines out of the test output (the default logger is created on first use).
process.env.LOG_LEVEL ??= "warn";

test("sendWelcome greets the new user", async () => {
  const broker = new StubBroker();
  const greeted: string[] = [];
  const sendWelcome = actor(
    async function sendWelcome(email: string, name: string) {
      greeted.push(`${name} <${email}>`);
    },
    { broker },
  );
  const worker = new Worker(broker, { timeout: 100 });
  await worker.start();
  try {
    await sendWelcome.send("ada@example.com", "Ada");
    await broker.join(sendWelcome.queueName);
  } finally {
    await worker.stop();
  }
  expect(greeted).toEqual(["Ada <ada@example.com>"]);
});
