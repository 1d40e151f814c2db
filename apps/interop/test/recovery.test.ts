/**
 * Redis dead-worker recovery across languages: a worker of one language is SIGKILLed while it
 * runs a message; a worker of the other language, with heartbeat timeout 2 s, finds the dead
 * worker's heartbeat too old and runs the message again, once. Recovery runs on @q's
 * maintenance timer; Dramatiq recovers during its fetch commands with `maintenance_chance`, here
 * a million in a million (every command) so the test does not wait on chance.
 */
import { waitFor } from "@q/test-support";
import { DIRECTIONS, useInterop } from "./interop";

jest.setTimeout(60_000);
const h = useInterop("redis");
const HEARTBEAT_TIMEOUT = 2000;

describe.each(DIRECTIONS.map(([a, b]) => [b, a] as const))("Redis: %s worker SIGKILLed → %s worker recovers", (dead, alive) => {
  it("runs the killed worker's message once, no earlier than the heartbeat timeout after the kill allows", async () => {
    const stuck = await h().stuckWorker(dead, "job");
    const [sent] = await h().send(alive, [{ actor: "job", args: [1] }]);
    await waitFor("the stuck run", () => stuck.runs().length === 1);
    await stuck.kill();
    const killedAt = Date.now();

    const worker = await h().worker(alive, [{ name: "job" }], { heartbeatTimeout: HEARTBEAT_TIMEOUT, maintenanceChance: 1_000_000 });
    await waitFor("the recovered run", () => worker.received().length >= 1, { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 500));
    const runs = worker.received();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ message_id: sent!.message_id, actor_name: "job", args: [1], queue_name: h().queue });
    expect(stuck.runs()).toHaveLength(1);
    // The dead worker's last heartbeat was at most its fetch interval (well under 1 s) before the kill.
    expect(runs[0]!.at).toBeGreaterThanOrEqual(killedAt + HEARTBEAT_TIMEOUT - 1000);
    expect(runs[0]!.at).toBeLessThanOrEqual(killedAt + HEARTBEAT_TIMEOUT + 10_000);
  });
});
