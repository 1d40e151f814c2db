import { AsyncLocalStorage } from "node:async_hooks";
import type { Actor } from "../actor/Actor";
import type { MessageProxy } from "../message/MessageProxy";

/** What runs in the current async context: set by the worker around each message. */
export interface MessageContext {
  message: MessageProxy;
  actor: Actor<any, any>;
}

/** Internal: the worker runs middleware hooks and the actor inside this storage. */
export const messageContext = new AsyncLocalStorage<MessageContext>();
