import { ConfigurationError } from "@q/core";
import { isReadOnlyError, sentinelRedisOptions } from "@q/core/broker";
import type { RedisOptions } from "ioredis";
import type { RedisBrokerOptions } from "./RedisBroker";

/**
 * Internal: the ioredis options of the broker's connection when `sentinel` is given (the
 * broker's own options, then the sentinel ones, which the user's `redisOptions` cannot undo
 * by accident), after checking the options that exclude each other.
 */
export function connectionSettings(options: RedisBrokerOptions, redisOptions: RedisOptions, isClosed: () => boolean): { sentinel?: RedisOptions } {
  if (options.sentinel === undefined) return {};
  if (options.url !== undefined) throw new ConfigurationError("RedisBroker: give url or sentinel, not both (with sentinel, the sentinels name the primary).");
  if (options.client !== undefined) throw new ConfigurationError("RedisBroker: give client or sentinel, not both (make the client with ioredis's sentinel options instead).");
  const sentinel = sentinelRedisOptions(options.sentinel, "RedisBroker", false, isClosed);
  return { sentinel: { ...redisOptions, ...sentinel, reconnectOnError: redisOptions.reconnectOnError ?? sentinel.reconnectOnError } };
}

/** ioredis `reconnectOnError` of the broker's connections: reconnect on READONLY; the broker resends. */
export function readOnlyReconnect(error: Error): boolean {
  return isReadOnlyError(error);
}
