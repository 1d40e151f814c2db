/** @q/broker-rabbitmq: a Dramatiq-compatible RabbitMQ broker for @q. */
export { RabbitmqBroker, type RabbitmqBrokerOptions } from "./RabbitmqBroker";
export { QueueMismatch } from "./QueueMismatch";
export { RabbitmqInspector, MAX_DEAD_LETTERS_READ } from "./RabbitmqInspector";
