/**
 * No code path evaluates message content, and actor names are looked up as data: a real
 * `q` worker gets messages whose actor names are Object.prototype members ("constructor",
 * "__proto__", "toString", ...) or JavaScript source, whose arguments are JavaScript that
 * would leave a canary file if anything ran it, and whose options hold source strings,
 * actor names of prototype members and a "__proto__" key. Unknown actors are dead-lettered
 * with an error naming the message (as Dramatiq: "undefined actor ... Moving it to the
 * DLQ"), nothing is evaluated, and good messages around them run exactly once.
 * (Generic malformed input (random bytes, wrong types, sizes) is the bad-input suite's.)
 */
import { existsSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Redis from "ioredis";
import { Message } from "@q/core";
import { RedisBroker } from "@q/broker-redis";
import { ExitCode } from "@q/cli";
import { silentLogger } from "@q/test-support";
import { REDIS_URL, freshNamespace } from "@q/test-support/redis";
import { killAllQ, waitReady } from "@q/test-support/q-process";
import { startQ } from "./support/chaosQ";
import { Ledger } from "./support/ledger";

const CANARY = path.join(os.tmpdir(), `q-eval-canary-${process.pid}-${Date.now()}`);
/** JavaScript that leaves the canary file if anything evaluates it. */
const SOURCES = [
  `require("fs").writeFileSync(${JSON.stringify(CANARY)}, "eval")`,
  `(() => { require("fs").writeFileSync(${JSON.stringify(CANARY)}, "iife") })()`,
  `constructor.constructor('require("fs").writeFileSync(${JSON.stringify(CANARY)}, "ctor")')()`,
  `\${require("fs").writeFileSync(${JSON.stringify(CANARY)}, "template")}`,
  `import(${JSON.stringify(`data:text/javascript,require("fs").writeFileSync(${JSON.stringify(CANARY)},"import")`)})`,
];
const PROTOTYPE_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "prototype", "__defineGetter__", "isPrototypeOf"];

afterAll(async () => {
  await killAllQ();
  rmSync(CANARY, { force: true });
});

it("a q worker treats actor names, arguments and options holding JavaScript or prototype member names as data", async () => {
  const namespace = freshNamespace();
  const queue = "sec-eval";
  const ledger = await Ledger.open();
  const producer = new RedisBroker({ url: REDIS_URL, namespace, logger: silentLogger() });
  const raw = new Redis(REDIS_URL);
  try {
    const unknownActors = [...PROTOTYPE_NAMES, ...SOURCES];
    const messages: Message[] = [];
    let good = 0;
    const work = (args: unknown[], options: Record<string, unknown> = {}) =>
      new Message({ queueName: queue, actorName: "chaos_work", args, kwargs: {}, options });
    // Good messages before, between and after the hostile ones.
    messages.push(work([good++]));
    for (const actorName of unknownActors) {
      messages.push(new Message({ queueName: queue, actorName, args: [...SOURCES], kwargs: {}, options: {} }));
      messages.push(work([good++]));
    }
    // The fixture actor records its argument: JavaScript source must arrive as the same string.
    for (const source of SOURCES) messages.push(work([`src:${source}`]));
    // Options: source strings, callbacks naming prototype members, a "__proto__" key (as JSON.parse makes it: data).
    const hostileOptions = JSON.parse(
      JSON.stringify({
        max_retries: SOURCES[0],
        time_limit: SOURCES[1],
        on_success: "constructor",
        on_failure: "__proto__",
        pipe_target: { actor_name: "toString", args: [SOURCES[2]], kwargs: {}, options: {}, queue_name: queue },
      }).replace(/^\{/, '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},'),
    ) as Record<string, unknown>;
    expect(Object.keys(hostileOptions)).toContain("__proto__");
    messages.push(work([good++], hostileOptions));
    for (let i = 0; i < 5; i++) messages.push(work([good++]));
    await producer.enqueueMany(messages);

    const q = startQ({ broker: "redis", url: REDIS_URL, namespace, queue, processes: 1, threads: 2, env: ledger.env });
    await waitReady(q, 1);
    const expectedRuns = good + SOURCES.length;
    const deadline = Date.now() + 30_000;
    while ((await raw.llen(ledger.key)) < expectedRuns && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await producer.join(queue, { timeout: 15_000 });

    // What ran: each good message once, each source string verbatim as an argument.
    const entries = await raw.lrange(ledger.key, 0, -1);
    const args = entries.map((e) => e.slice(0, e.lastIndexOf(":", e.lastIndexOf(":") - 1)));
    expect(args.filter((a) => !a.startsWith("src:")).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: good }, (_, i) => i));
    expect(args.filter((a) => a.startsWith("src:")).sort()).toEqual(SOURCES.map((s) => `src:${s}`).sort());

    // Unknown actors (prototype member names included) are dead-lettered, one each, logged by
    // name; the pipe target naming "toString" was enqueued as data and is dead-lettered too.
    const dead = await producer.getDeadLetters(queue);
    const deadNames = [...unknownActors, "toString"];
    expect(dead.map((d) => Message.decode(d.data).actorName).sort()).toEqual(deadNames.sort());
    for (const name of unknownActors) {
      const lines = q.matching(/for undefined actor/).filter((l) => l.includes(`'${name}'`));
      expect({ name, lines: lines.length }).toEqual({ name, lines: deadNames.filter((n) => n === name).length });
    }
    // A callback naming a prototype member is an undeclared actor: logged, the message itself succeeded.
    expect(q.matching(/Callback actor "constructor" of message [0-9a-f-]{36} is not declared; the callback is not sent\./)).toHaveLength(1);
    // Nothing was evaluated, and the worker is still up.
    expect(existsSync(CANARY)).toBe(false);
    expect(q.proc.exitCode).toBeNull();
    q.proc.kill("SIGTERM");
    expect(await q.exitCode(20_000)).toBe(ExitCode.OK);
    expect(q.matching(/polluted|TypeError|is not a function/)).toEqual([]);
  } finally {
    raw.disconnect();
    await producer.close();
    await ledger.close();
  }
});
