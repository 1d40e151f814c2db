/**
 * @q/core/broker: helpers for writing a broker or a middleware, kept out of the main entry
 * so that an app's autocomplete shows what an app uses. Queue names (`qName`, `dqName`,
 * `xqName`, `QUEUE_NAME_PATTERN`), message ids (`uuid4`), option names and values
 * (`toWireKey`, `readOption`), Retries' backoff curve (`computeBackoff`), a consumer's
 * waiting (`Wakeup`, `settleWithin`), and a queue inspector's reading (`inspectStored`,
 * `requeuedCopy`, `readPage`, `checkPart`). The `Broker` base class and the `Consumer` type are
 * in `@q/core`: apps name them too.
 *
 * @example
 * import { Broker, type Consumer } from "@q/core";
 * import { Wakeup, dqName, qName } from "@q/core/broker";
 */
export { qName, dqName, xqName, QUEUE_NAME_PATTERN } from "./queueNames";
export { Wakeup } from "./Wakeup";
export { settleWithin } from "../worker/settleWithin";
export { uuid4 } from "../ids/uuid4";
export { validateRedisUrl, redactRedisUrl } from "./validateRedisUrl";
export { redactAuthCommand } from "./redactAuthCommand";
export { toWireKey } from "../options/toWireKey";
export { readOption } from "../options/readOption";
export { computeBackoff } from "../middleware/computeBackoff";
export { sentinelRedisOptions, isReadOnlyError, type RedisSentinelOptions, type SentinelConnectionSettings } from "./redisSentinelOptions";
export { inspectStored, requeuedCopy } from "../inspection/inspectStored";
export { readPage, checkPart } from "../inspection/readPage";
