/**
 * Compile-time checks of actor()'s types, run by `tsc -p tsconfig.test.json`: every
 * `@ts-expect-error` line must fail to type-check (tsc reports an unused directive
 * otherwise), every other line must type-check. The function is never called.
 */
import { actor } from "./declareActor";
import type { Actor } from "./Actor";
import type { Broker } from "../broker/Broker";
import type { Message } from "../message/Message";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<_T extends true>(): void {}

function typeAssertions(broker: Broker): void {
  // --- send accepts exactly the function's parameters ---------------------------------
  const add = actor(function add(a: number, b: number) {
    return a + b;
  }, { broker });
  void add.send(1, 2);
  // @ts-expect-error a string where a number is expected
  void add.send("1", 2);
  // @ts-expect-error too few arguments
  void add.send(1);
  // @ts-expect-error no arguments
  void add.send();
  // @ts-expect-error too many arguments
  void add.send(1, 2, 3);

  // message() and a direct call take the same parameters.
  add.message(1, 2);
  // @ts-expect-error a string where a number is expected
  add.message(1, "2");
  void add(1, 2);
  // @ts-expect-error too many arguments
  void add(1, 2, 3);

  // Result types: send resolves to a Message carrying the awaited result type.
  assertType<Equal<ReturnType<typeof add.send>, Promise<Message<number>>>>();
  const sent: Promise<Message<number>> = add.send(1, 2);
  // @ts-expect-error the result is a number, not a string
  const wrong: Promise<Message<string>> = add.send(1, 2);
  void sent;
  void wrong;
  const fetchTitle = actor(async function fetchTitle(url: string): Promise<string> {
    return url;
  }, { broker });
  void fetchTitle.send("https://example.com");
  assertType<Equal<ReturnType<typeof fetchTitle.send>, Promise<Message<string>>>>();
  assertType<Equal<typeof fetchTitle, Actor<[url: string], string>>>();

  // Optional and rest parameters keep their meaning.
  const greet = actor(function greet(name: string, punctuation?: string) {
    return name + (punctuation ?? ".");
  }, { broker });
  void greet.send("Ada");
  void greet.send("Ada", "!");
  // @ts-expect-error the required parameter is missing
  void greet.send();
  // @ts-expect-error too many arguments
  void greet.send("Ada", "!", "?");
  const sum = actor(function sum(...numbers: number[]) {
    return numbers.reduce((x, y) => x + y, 0);
  }, { broker });
  void sum.send();
  void sum.send(1, 2, 3);
  // @ts-expect-error a string among the numbers
  void sum.send(1, "2");

  const ping = actor(function ping() {}, { broker });
  void ping.send();
  // @ts-expect-error ping takes no arguments
  void ping.send(1);

  // --- sendWithOptions --------------------------------------------------------------
  void add.sendWithOptions({ args: [1, 2], delay: 1000, maxRetries: 3, brokerPriority: 1 });
  void add.sendWithOptions({});
  // @ts-expect-error args must match the parameters
  void add.sendWithOptions({ args: [1, "2"] });
  // @ts-expect-error args must not be too short
  void add.sendWithOptions({ args: [1] });
  // @ts-expect-error the delay is a number of milliseconds
  void add.sendWithOptions({ args: [1, 2], delay: "1s" });
  // @ts-expect-error maxRetries is a number or null
  void add.sendWithOptions({ args: [1, 2], maxRetries: "3" });
  // @ts-expect-error without acceptKwargs an actor takes no kwargs
  void add.sendWithOptions({ args: [1, 2], kwargs: { x: 1 } });

  // --- acceptKwargs: the last parameter is the kwargs, not a send argument -------------
  const notify = actor(function notify(user: string, kwargs: { urgent?: boolean }) {
    return `${user}${kwargs.urgent ? "!" : ""}`;
  }, { broker, acceptKwargs: true });
  void notify.send("ada");
  // @ts-expect-error the kwargs parameter is not a positional argument
  void notify.send("ada", { urgent: true });
  // @ts-expect-error the remaining parameter keeps its type
  void notify.send(1);
  // @ts-expect-error the remaining parameter is still required
  void notify.send();
  void notify.sendWithOptions({ args: ["ada"], kwargs: { urgent: true } });
  void notify.sendWithOptions({ args: ["ada"] });
  // @ts-expect-error kwargs are typed by the last parameter
  void notify.sendWithOptions({ args: ["ada"], kwargs: { urgent: "yes" } });
  // @ts-expect-error args exclude the kwargs parameter
  void notify.sendWithOptions({ args: ["ada", { urgent: true }] });
  assertType<Equal<typeof notify, Actor<[user: string], string, { urgent?: boolean }>>>();

  // An optional (defaulted) kwargs parameter is dropped from send as well.
  const report = actor(function report(day: number, kwargs: { format?: "pdf" | "csv" } = {}) {
    return `${day}.${kwargs.format ?? "pdf"}`;
  }, { broker, acceptKwargs: true });
  void report.send(1);
  // @ts-expect-error the kwargs parameter is not a positional argument
  void report.send(1, { format: "csv" });
  void report.sendWithOptions({ args: [1], kwargs: { format: "csv" } });
  // @ts-expect-error kwargs are typed by the last parameter
  void report.sendWithOptions({ args: [1], kwargs: { format: "doc" } });
  assertType<Equal<typeof report, Actor<[number], string, { format?: "pdf" | "csv" } | undefined>>>();

  // An actor whose only parameter is the kwargs takes no send arguments.
  const configure = actor(function configure(kwargs: Record<string, number>) {
    return Object.keys(kwargs).length;
  }, { broker, acceptKwargs: true });
  void configure.send();
  // @ts-expect-error no positional parameters remain
  void configure.send({ a: 1 });
  void configure.sendWithOptions({ kwargs: { a: 1 } });
  // @ts-expect-error kwargs values are numbers
  void configure.sendWithOptions({ kwargs: { a: "1" } });

  // --- declaration options are typed ------------------------------------------------
  // @ts-expect-error maxRetries is a number or null
  actor(function f() {}, { broker, maxRetries: "3" });
  // @ts-expect-error queueName is a string
  actor(function g() {}, { broker, queueName: 1 });
  // @ts-expect-error an actor needs a function
  actor("not a function", { broker });
}

describe("actor() types", () => {
  it("are checked by tsc (this file's assertions compile)", () => {
    expect(typeof typeAssertions).toBe("function");
  });
});
