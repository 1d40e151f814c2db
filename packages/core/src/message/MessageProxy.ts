import type { Interrupt } from "../errors/Interrupt";
import type { Message } from "./Message";
import type { MessageData } from "./MessageData";
import { formatCall } from "./formatCall";

/**
 * A message as a worker handles it: the decoded message plus its processing state.
 * `options` is a mutable working copy that middleware change in place (Retries
 * writes `retries` there before re-enqueueing); `message` stays as received, which
 * is what dead letters keep. Each proxy has an AbortSignal for interrupts.
 *
 * @example
 * const { signal } = CurrentMessage.getCurrentMessage()!; // inside an actor, with the CurrentMessage middleware
 * await fetch(url, { signal });
 */
export class MessageProxy {
  /** The message exactly as it was received. */
  readonly message: Message;
  /** The options as middleware have changed them so far. */
  options: Record<string, unknown>;
  /** The queue the delivery came from (the consumer's queue: `q` or `q.DQ`). */
  readonly deliveryQueue: string;
  /** The bytes as received, when the broker has them (dead letters keep these). */
  readonly raw: Buffer | undefined;
  /** Set by {@link MessageProxy.fail}: the message will be nacked (dead-lettered). */
  failed = false;
  /** The error the actor or a middleware failed with, if any. */
  exception: unknown = undefined;
  // Created on first use: most messages are never interrupted nor asked for a signal.
  private controller: AbortController | undefined;
  private interruption: Interrupt | undefined;
  private onInterrupt: ((reason: Interrupt) => void) | undefined;

  constructor(message: Message, deliveryQueue: string = message.queueName, raw?: Buffer) {
    this.message = message;
    this.options = { ...message.options };
    this.deliveryQueue = deliveryQueue;
    this.raw = raw;
  }

  get queueName(): string {
    return this.message.queueName;
  }
  get actorName(): string {
    return this.message.actorName;
  }
  get args(): readonly unknown[] {
    return this.message.args;
  }
  get kwargs(): Readonly<Record<string, unknown>> {
    return this.message.kwargs;
  }
  get messageId(): string {
    return this.message.messageId;
  }
  get messageTimestamp(): number {
    return this.message.messageTimestamp;
  }

  /** Aborts when the message is interrupted (time limit, shutdown); the reason is the Interrupt. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.interruption) this.controller.abort(this.interruption);
    }
    return this.controller.signal;
  }

  /** The Interrupt this message received, if any. */
  get interrupted(): Interrupt | undefined {
    return this.interruption;
  }

  /** Interrupts the running actor: its signal aborts and the worker fails the message now. */
  interrupt(reason: Interrupt): void {
    if (this.interruption) return;
    this.interruption = reason;
    this.controller?.abort(reason);
    this.onInterrupt?.(reason);
  }

  /**
   * @internal The worker's hook: called once if the message is interrupted (also
   * immediately if it already was). Pass undefined to detach.
   */
  setInterruptHandler(handler: ((reason: Interrupt) => void) | undefined): void {
    this.onInterrupt = handler;
    if (handler && this.interruption) handler(this.interruption);
  }

  /** Marks the message failed: it is dead-lettered instead of acknowledged. */
  fail(): void {
    this.failed = true;
  }

  stuffException(error: unknown): void {
    this.exception = error;
  }

  clearException(): void {
    this.exception = undefined;
  }

  /** The message with the current (middleware-changed) options. */
  toMessage(): Message {
    return this.message.copy({ replaceOptions: this.options });
  }

  /** The wire dict with the current options, as callbacks receive it. */
  toDict(): MessageData {
    return { ...this.message.toDict(), options: { ...this.options } };
  }

  toString(): string {
    return formatCall(this.actorName, this.args, this.kwargs);
  }
}
