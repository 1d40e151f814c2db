import { Wakeup } from "./Wakeup";

describe("Wakeup", () => {
  it("resolves the waiter with true when notified", async () => {
    const wakeup = new Wakeup();
    const waiting = wakeup.wait(5000);
    wakeup.notify();
    await expect(waiting).resolves.toBe(true);
  });

  it("resolves with false after the timeout without a notice", async () => {
    await expect(new Wakeup().wait(10)).resolves.toBe(false);
  });

  it("forgets a notice given while nobody waits", async () => {
    const wakeup = new Wakeup();
    wakeup.notify();
    await expect(wakeup.wait(10)).resolves.toBe(false);
  });
});
