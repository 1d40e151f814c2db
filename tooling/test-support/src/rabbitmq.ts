import { randomBytes } from "node:crypto";
import * as amqp from "amqplib";

/** The shared test server (tooling/scripts/services.sh starts it). */
export const AMQP_URL = process.env.AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";

/**
 * Fails loudly (never skips) when the test RabbitMQ is not there.
 *
 * @example
 * beforeAll(() => requireRabbit());
 */
export async function requireRabbit(url: string = AMQP_URL): Promise<void> {
  try {
    const connection = await amqp.connect(url, { timeout: 5000 });
    await connection.close();
  } catch (error) {
    throw new Error(`RabbitMQ is not reachable at ${url}: run bash tooling/scripts/services.sh rabbitmq (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/**
 * A queue name no other test uses.
 *
 * @example
 * const queueName = freshQueue();
 */
export function freshQueue(prefix = "qtest"): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}
