/** @q/broker-redis: a Dramatiq-compatible Redis broker for @q. */
export { RedisBroker, type RedisBrokerOptions } from "./RedisBroker";
