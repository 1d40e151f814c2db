/**
 * @q/core/errors: the QError family without the rest of @q/core, for code that only
 * throws or checks errors (such as the `q` supervisor, which starts faster without it).
 * The same classes as `@q/core`'s: `instanceof` holds across both entries.
 *
 * @example
 * import { ConfigurationError, isQError } from "@q/core/errors";
 * throw new ConfigurationError("processes must be at least 1");
 */
export { QError, isQError } from "./QError";
export { ConfigurationError } from "./ConfigurationError";
export { BrokerError } from "./BrokerError";
export { DeliveryLost } from "./DeliveryLost";
export { ActorNotFound } from "./ActorNotFound";
export { QueueNotFound } from "./QueueNotFound";
export { MessageNotFound } from "./MessageNotFound";
export { InspectionUnsupported } from "./InspectionUnsupported";
export { ConnectionError } from "./ConnectionError";
export { ConnectionFailed } from "./ConnectionFailed";
export { ConnectionClosed } from "./ConnectionClosed";
export { QueueJoinTimeout } from "./QueueJoinTimeout";
export { RateLimitExceeded } from "./RateLimitExceeded";
export { Retry } from "./Retry";
export { ResultError } from "./ResultError";
export { ResultTimeout } from "./ResultTimeout";
export { ResultMissing } from "./ResultMissing";
export { ResultFailure } from "./ResultFailure";
export { DecodeError } from "./DecodeError";
export { EncodeError } from "./EncodeError";
export { MessageTooLarge } from "./MessageTooLarge";
export { ActorDefinitionError } from "./ActorDefinitionError";
export { ArgumentError } from "./ArgumentError";
export { MiddlewareError } from "./MiddlewareError";
export { MiddlewareMissing } from "./MiddlewareMissing";
export { SkipMessage } from "./SkipMessage";
export { Interrupt } from "./Interrupt";
export { TimeLimitExceeded } from "./TimeLimitExceeded";
export { Shutdown } from "./Shutdown";
