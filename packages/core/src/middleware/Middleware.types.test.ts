/**
 * Compile-time checks of middleware hooks and the broker's middleware list, run by
 * `tsc -p tsconfig.test.json` (as for actor()): every `@ts-expect-error` line must fail to
 * type-check, every other line must type-check. Nothing here is called.
 *
 * Hooks are methods, so TypeScript compares their parameters bivariantly: an override may
 * narrow a parameter (`outcome: { result: number }`) unchecked. Declaring the hooks as
 * function-typed properties would make that strict, but then a subclass could no longer
 * override them with methods (TS2425), which is how every middleware is written.
 */
import type { Actor } from "../actor/Actor";
import type { Broker } from "../broker/Broker";
import type { Message } from "../message/Message";
import type { MessageProxy } from "../message/MessageProxy";
import type { Worker } from "../worker/Worker";
import { type HookName, Middleware, type ProcessOutcome } from "./Middleware";
import { Retries } from "./Retries";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<_T extends true>(): void {}

// --- a middleware implements any hooks, sync or async, with the hook's parameters --------
class Audit extends Middleware {
  override readonly actorOptions = ["audit"];
  override beforeEnqueue(_broker: Broker, message: Message, delay: number | undefined): void {
    void message.messageId;
    void delay;
  }
  override async afterProcessMessage(_broker: Broker, message: MessageProxy, outcome: ProcessOutcome): Promise<void> {
    message.options.audited = outcome.exception === undefined;
  }
  override afterDeclareActor(_broker: Broker, actor: Actor<any, any>): void {
    void actor.actorName;
  }
  override async beforeWorkerBoot(_broker: Broker, worker: Worker): Promise<void> {
    void worker.concurrency;
  }
  override afterWorkerThreadBoot(_broker: Broker, slot: number): void {
    void slot;
  }
  // Fewer parameters than the hook passes are fine.
  override afterConsumerThreadBoot(): void {}
  override validateActorOptions(options: Readonly<Record<string, unknown>>): string[] {
    return typeof options.audit === "boolean" ? [] : ["audit must be true or false"];
  }
}

class WrongMessage extends Middleware {
  // @ts-expect-error beforeEnqueue gets the Message being enqueued, not a MessageProxy
  override beforeEnqueue(_broker: Broker, message: MessageProxy): void {
    void message;
  }
}
class WrongSlot extends Middleware {
  // @ts-expect-error a thread slot is a number
  override afterWorkerThreadBoot(_broker: Broker, slot: string): void {
    void slot;
  }
}
class WrongReturn extends Middleware {
  // @ts-expect-error a message hook returns nothing (or a promise of nothing)
  override beforeProcessMessage(): number {
    return 1;
  }
}
class WrongAsyncReturn extends Middleware {
  // @ts-expect-error an async message hook resolves to nothing
  override async afterAck(): Promise<string> {
    return "acked";
  }
}
class Misspelled extends Middleware {
  // @ts-expect-error no such hook: with `override`, a misspelt hook name does not compile
  override beforeEnqeue(): void {}
}
class WrongOptions extends Middleware {
  // @ts-expect-error the options the middleware reads are names (strings)
  override readonly actorOptions = [1];
}
void [Audit, WrongMessage, WrongSlot, WrongReturn, WrongAsyncReturn, Misspelled, WrongOptions];

function typeAssertions(broker: Broker, message: Message, proxy: MessageProxy, worker: Worker): void {
  // --- emits take exactly the hook's arguments after the broker ------------------------
  void broker.emitBefore("beforeEnqueue", message, undefined);
  void broker.emitAfter("afterProcessMessage", proxy, { result: 1 });
  void broker.emitAfter("afterWorkerBoot", worker);
  void broker.emitAfter("afterProcessBoot");
  // @ts-expect-error beforeEnqueue takes the message and the delay
  void broker.emitBefore("beforeEnqueue", message);
  // @ts-expect-error beforeProcessMessage takes a MessageProxy
  void broker.emitBefore("beforeProcessMessage", message);
  // @ts-expect-error the broker is passed by the emit, not by the caller
  void broker.emitAfter("afterAck", broker, proxy);
  // @ts-expect-error no such hook
  void broker.emitBefore("beforeEverything");
  assertType<Equal<ReturnType<typeof broker.emitBefore<"beforeAck">>, void | Promise<void>>>();
  const name: HookName = "afterSkipMessage";
  // @ts-expect-error not a hook name
  const notAHook: HookName = "validateActorOptions";
  void name;
  void notAHook;

  // --- the broker's list is read-only: changes go through addMiddleware/removeMiddleware -----
  assertType<Equal<typeof broker.middleware, readonly Middleware[]>>();
  const audit = new Audit();
  broker.addMiddleware(audit, { before: Retries });
  broker.removeMiddleware(audit);
  const retries = broker.middleware.find((m): m is Retries => m instanceof Retries);
  void retries;
  // @ts-expect-error pushing would bypass the hook cache: use addMiddleware
  broker.middleware.push(audit);
  // @ts-expect-error splicing would bypass the hook cache: use removeMiddleware
  broker.middleware.splice(0, 1);
  // @ts-expect-error no replacing an entry either
  broker.middleware[0] = audit;
  // @ts-expect-error nor the list
  broker.middleware = [audit];
  // @ts-expect-error addMiddleware positions by a middleware class
  broker.addMiddleware(audit, { before: "Retries" });
  // @ts-expect-error only middleware can be added
  broker.addMiddleware({ beforeEnqueue() {} });
}

describe("middleware hook types", () => {
  it("are checked by tsc (this file's assertions compile)", () => {
    expect(typeof typeAssertions).toBe("function");
  });
});
