/** @q/broker-stub: an in-memory broker for tests and demos. */
export { StubBroker, type StubBrokerOptions, type PoisonMessage } from "./StubBroker";
