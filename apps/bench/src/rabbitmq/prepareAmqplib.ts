import * as amqp from "amqplib";
import { type Prepared, rssMb } from "./Prepared";
import { JOB, type RabbitTask } from "./RabbitTask";

/**
 * The ceiling: plain amqplib with the same durability and delivery guarantee (durable
 * queue, persistent messages, confirms when on, mandatory publishes, manual acks, same
 * prefetch). The publisher encodes a Dramatiq-shaped JSON body per message and calls
 * `sendToQueue` in a loop (waiting for `drain` when told to, and for every confirm with
 * confirms); the consumer parses each body and acks it, one ack per message.
 */
export async function prepareAmqplib(task: RabbitTask): Promise<Prepared> {
  const connection = await amqp.connect(task.url);
  const channel = task.confirm ? await connection.createConfirmChannel() : await connection.createChannel();
  await channel.checkQueue(task.queue); // declared by the parent, with Dramatiq's arguments
  if (task.role === "publish") {
    return {
      async run() {
        const timestamp = Date.now();
        for (let i = 0; i < task.n; i++) {
          const body = Buffer.from(
            JSON.stringify({
              queue_name: task.queue,
              actor_name: JOB,
              args: [{ i }],
              kwargs: {},
              options: {},
              message_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
              message_timestamp: timestamp,
            }),
          );
          // Mandatory, as @q's publishes: a confirm then means the message reached a queue (an
          // unroutable one comes back as basic.return instead of being confirmed and dropped).
          if (!channel.sendToQueue(task.queue, body, { persistent: true, mandatory: true })) await new Promise((r) => channel.once("drain", r));
        }
        if (task.confirm) await (channel as amqp.ConfirmChannel).waitForConfirms();
        return task.n;
      },
      async close() {
        await channel.close(); // flushes the channel's publishes before the connection closes
        await connection.close();
      },
    };
  }
  await channel.prefetch(2 * task.concurrency);
  let rssEndMb: number | undefined;
  return {
    get rssEndMb() {
      return rssEndMb;
    },
    run() {
      return new Promise<number>((resolve) => {
        let handled = 0;
        void channel.consume(
          task.queue,
          (message) => {
            if (!message) return;
            JSON.parse(message.content.toString("utf8"));
            channel.ack(message);
            if (++handled !== task.n) return;
            rssEndMb = rssMb();
            resolve(handled);
          },
          { noAck: false },
        );
      });
    },
    async close() {
      await channel.close(); // its acks go out before the connection closes
      await connection.close();
    },
  };
}
