/**
 * A group whose members run on a Python Dramatiq worker and an @q worker at once, counting
 * on one barrier (GroupCallbacks on a Redis or memcached rate-limiter backend): the
 * completion callback runs exactly once, whichever language ran the last member and
 * whichever language sent the group.
 */
import { actor, group } from "@q/core";
import { MEMCACHED_SERVERS, requireMemcached } from "@q/test-support/memcached";
import { REDIS_URL } from "@q/test-support/redis";
import { BROKERS, type BackendSpec, type Lang, type Received, useInterop } from "./interop";
import { runPython } from "./python";

const MEMBERS = 24;
const BARRIERS: readonly { name: string; spec: BackendSpec }[] = [
  { name: "a Redis barrier", spec: { backend: "redis", url: REDIS_URL } },
  { name: "a memcached barrier", spec: { backend: "memcached", servers: MEMCACHED_SERVERS } },
];
const PRODUCERS: readonly Lang[] = ["python", "q"];

async function until(check: () => boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(BROKERS)("a group shared by Python and @q workers on %s", (kind) => {
  const h = useInterop(kind);
  beforeAll(() => requireMemcached());

  describe.each(BARRIERS)("with $name", ({ spec: barrier }) => {
    test.each(PRODUCERS)("sent by %s: every member runs once, both languages run members, and the callback runs exactly once", async (producer) => {
      const { queue } = h();
      // Each member takes a while, so both workers get some of them.
      const actors = [
        { name: "member", sleepMs: 40 },
        { name: "done", sleepMs: 0 },
      ];
      const workers = await Promise.all([h().worker("python", actors, { groupCallbacks: barrier }), h().worker("q", actors, { groupCallbacks: barrier })]);
      const members = Array.from({ length: MEMBERS }, (_, i) => ({ actor: "member", queue, args: [i] }));
      let memberIds: string[];
      let callbackId: string;
      if (producer === "python") {
        const [line] = await runPython<{ member_ids: string[]; callback_ids: string[] }>("produce_group", {
          ...h().pythonBroker(),
          group_callbacks: barrier,
          members,
          callbacks: [{ actor: "done", queue, args: ["all done"] }],
        });
        memberIds = line!.member_ids;
        callbackId = line!.callback_ids[0]!;
      } else {
        const broker = await h().qBroker({ groupCallbacks: barrier });
        // The producer's declarations: the bodies never run here.
        const member = actor((_i: number) => undefined, { broker, queueName: queue, actorName: "member" });
        const done = actor((_text: string) => undefined, { broker, queueName: queue, actorName: "done" });
        const messages = members.map((m) => member.message(m.args[0]!));
        const callback = done.message("all done");
        await group(messages, { broker }).addCompletionCallback(callback).run();
        memberIds = messages.map((m) => m.messageId);
        callbackId = callback.messageId;
      }
      const runs = (): Received[] => workers.flatMap((w) => w.received());
      await until(() => runs().some((r) => r.actor_name === "done"), 30_000, "the completion callback");
      // Time for a second callback to show up, were the barrier to clear twice.
      await new Promise((r) => setTimeout(r, 1_500));
      const all = runs();
      const memberRuns = all.filter((r) => r.actor_name === "member");
      expect(memberRuns.map((r) => r.message_id).sort()).toEqual([...memberIds].sort());
      expect(memberRuns.map((r) => r.args[0]).sort((a, b) => Number(a) - Number(b))).toEqual(members.map((m) => m.args[0]));
      for (const w of workers) expect(w.received().filter((r) => r.actor_name === "member").length).toBeGreaterThan(0);
      const callbacks = all.filter((r) => r.actor_name === "done");
      expect(callbacks).toHaveLength(1);
      expect(callbacks[0]!.message_id).toBe(callbackId);
      expect(callbacks[0]!.args).toEqual(["all done"]);
      // The callback ran after every member had started.
      expect(callbacks[0]!.at).toBeGreaterThanOrEqual(Math.max(...memberRuns.map((r) => r.at)));
    }, 60_000);
  });
});
