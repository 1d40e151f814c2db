// A worker process whose event loop is blocked past a message's time limit is killed and
// replaced; the message comes back (Redis: heartbeat-timeout recovery) and counts as a failed
// attempt, so Retries decides what happens next instead of the message blocking forever.
import { waitFor } from "@q/test-support";
import { waitReady } from "./support/runQ";
import { useQ } from "./support/useQ";

const t = useQ();

test("a CPU-bound actor that ignores its time limit: its process is killed and replaced, the message retried", async () => {
  // Recovery of a dead process's messages after 2 s without heartbeats (default 60 s).
  const q = t.q(["broker.js", "tasks.js", "-p", "1"], { env: { Q_HEARTBEAT_TIMEOUT: "2000" } });
  await waitReady(q);
  const message = await t.send("spin", ["x"]);

  const first = await waitFor("the first run", async () => (await t.events()).find((e) => e.startsWith("spin:x:first:")));
  const blockedPid = first.split(":")[3];
  const killed = await q.line(/has been blocked for \d+ ms, past the time limit of message/, { timeout: 10_000 });
  expect(killed).toContain(`[q.MainProcess] [ERROR] Worker process 0 (PID ${blockedPid}) has been blocked for`);
  expect(killed).toContain(`past the time limit of message '${message.messageId}'; killing it and starting a new one.`);
  await waitReady(q, 2);

  const again = await waitFor("the retried run", async () => (await t.events()).find((e) => e.startsWith("spin:x:again:")), { timeout: 15_000 });
  expect(again.split(":")[3]).not.toBe(blockedPid);
  expect(await t.events()).toEqual([first, again]);
  // The redelivery failed at once with TimeLimitExceeded; Retries sent the retry that ran.
  expect(q.matching(new RegExp(`Message '${message.messageId}' blocked a worker process past its time limit before; failing it with TimeLimitExceeded`))).toHaveLength(1);
  expect(q.matching(/\[q\.middleware\.retries\.Retries\] \[INFO\] Retrying message/)).toHaveLength(1);

  q.proc.kill("SIGTERM");
  expect(await q.exitCode()).toBe(0);
  expect(q.matching(/exited unexpectedly/)).toEqual([]);
}, 30_000);
