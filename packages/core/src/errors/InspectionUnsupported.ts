import { BrokerError } from "./BrokerError";

/**
 * The broker cannot do this inspection safely (for example, list the messages of a RabbitMQ
 * queue that workers consume, which cannot be read without taking them off it). The message
 * says what the broker can show instead. Nothing was changed.
 *
 * @example
 * await inspector.listMessages("default", "queue"); // InspectionUnsupported on RabbitMQ
 */
export class InspectionUnsupported extends BrokerError {}
