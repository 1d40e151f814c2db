/**
 * Compile-time checks of pipelines and groups, run by `tsc -p tsconfig.test.json` (as for
 * actor()): every `@ts-expect-error` line must fail to type-check, every other line must
 * type-check. The function is never called.
 */
import { actor } from "../actor/declareActor";
import type { Broker } from "../broker/Broker";
import type { Message } from "../message/Message";
import { Group, group } from "./Group";
import { Pipeline, pipeline } from "./Pipeline";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<_T extends true>(): void {}

async function typeAssertions(broker: Broker): Promise<void> {
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  const notify = actor(function notify(text: string) {
    return text.length;
  }, { broker });
  const sum = actor(function sum(values: number[]) {
    return values.reduce((a, b) => a + b, 0);
  }, { broker });
  const show = actor(function show(n: number) {
    return String(n);
  }, { broker });

  // --- pipelines: messages and pipelines, in order -----------------------------------
  // A step may leave out its last arguments: the previous step's result fills them in.
  const p = pipeline([add.message(1, 2), add.message(3), add.message()], { broker });
  assertType<Equal<typeof p, Pipeline<number, never>>>();
  // A step that already has every argument cannot receive a result ...
  // @ts-expect-error notify("done") has no parameter left for p's number
  pipeline([p, notify.message("done")]);
  // ... unless it ignores it (messageWithOptions is not checked).
  const nested = pipeline([p, notify.messageWithOptions({ args: ["done"], pipeIgnore: true })]);
  new Pipeline([nested, add.messageWithOptions({ args: [1], pipeIgnore: true })], { broker });
  const built: Message[] = [add.message(1, 2)];
  pipeline(built);
  assertType<Equal<typeof p.messages, readonly Message[]>>();
  assertType<Equal<typeof p.length, number>>();
  // run() resolves to the pipeline itself; the delay is a number of milliseconds.
  const ran: Pipeline<number, never> = await p.run();
  await p.run({ delay: 1000 });
  void ran;
  // @ts-expect-error the delay is a number of milliseconds
  await p.run({ delay: "1s" });
  // @ts-expect-error an actor is not a message: call .message() on it
  pipeline([add]);
  // A group step: its members receive the previous result, the next step the list of theirs.
  const fan = pipeline([add.message(1, 2), group([add.message(10), add.message(20)]), sum.message()], { broker });
  assertType<Equal<typeof fan, Pipeline<number, never>>>();
  const last: number = await fan.getResult({ block: true });
  void last;
  // @ts-expect-error notify takes a string, not add's number
  pipeline([add.message(1, 2), notify.message()]);
  // @ts-expect-error a group step hands on a list: add does not take [number, number]
  pipeline([group([add.message(1, 2), add.message(3, 4)]), add.message(1)]);
  // @ts-expect-error every member of a group step must accept the previous result
  pipeline([add.message(1, 2), group([add.message(10), add.message(1, 2)])]);
  // getResult() is typed by the last step, getResults() is a list.
  const text: string = await pipeline([add.message(1, 2), show.message()]).getResult();
  void text;
  assertType<Equal<Awaited<ReturnType<typeof p.getResults>>, unknown[]>>();
  assertType<Equal<Awaited<ReturnType<ReturnType<typeof add.message>["getResult"]>>, number>>();
  // pipe(): the fluent form, checked the same way.
  const piped = add.message(1, 2).pipe(add.message(3)).pipe(show.message());
  assertType<Equal<typeof piped, Pipeline<string, never>>>();
  // @ts-expect-error show's string does not fit add's number
  piped.pipe(add.message(1));
  // @ts-expect-error notify takes a string
  add.message(1, 2).pipe(notify.message());
  // @ts-expect-error the steps are messages, not their dicts
  pipeline([add.message(1, 2).toDict()]);
  // @ts-expect-error the steps are a list
  pipeline(add.message(1, 2));
  // @ts-expect-error a step's arguments keep their types
  pipeline([add.message("1")]);
  // @ts-expect-error the steps of a built pipeline are fixed
  p.messages.push(add.message(1, 2));
  // @ts-expect-error the broker is a Broker
  pipeline([add.message(1, 2)], { broker: "redis" });

  // --- groups: messages, pipelines and groups, in parallel ----------------------------
  const g = group([add.message(1, 2), p, group([notify.message("inner")])], { broker });
  assertType<Equal<typeof g, Group<[number, number, [number]], never>>>();
  // Results are typed in member order.
  const [one, two, [three]] = await g.getResults({ block: true, timeout: 500 });
  const typed: [number, number, number] = [one, two, three];
  void typed;
  await g.wait({ timeout: 1000 });
  const done: boolean = await g.completed();
  const count: number = await g.completedCount();
  void done;
  void count;
  for await (const { index, result } of g.asCompleted({ timeout: 1000 })) {
    const i: number = index;
    const r: number | [number] = result;
    void i;
    void r;
  }
  // @ts-expect-error a member's result is a number
  const wrong: string = (await g.getResults())[0];
  void wrong;
  new Group([add.message(1, 2)], { broker });
  assertType<Equal<typeof g.children, readonly (Message | Pipeline | Group)[]>>();
  const untyped: Group = new Group([add.message(1, 2)], { broker });
  void untyped;
  // addCompletionCallback takes a message and chains.
  const chained: Group = g.addCompletionCallback(notify.message("all done")).addCompletionCallback(add.message(1, 2));
  void chained;
  const groupRan: Group = await g.run({ delay: 10 });
  void groupRan;
  // @ts-expect-error the delay is a number of milliseconds
  await g.run({ delay: "soon" });
  // @ts-expect-error an actor is not a message: call .message() on it
  group([notify]);
  // @ts-expect-error a group's members are messages, pipelines or groups
  group(["notify"]);
  // @ts-expect-error a completion callback is one message
  g.addCompletionCallback(p);
  // @ts-expect-error a completion callback is a message, not an actor
  g.addCompletionCallback(notify);
  // @ts-expect-error a completion callback's arguments keep their types
  g.addCompletionCallback(notify.message(1));
  // @ts-expect-error the members of a built group are fixed
  g.children.push(add.message(1, 2));
}

describe("pipeline and group types", () => {
  it("are checked by tsc (this file's assertions compile)", () => {
    expect(typeof typeAssertions).toBe("function");
  });
});
