// The @q half of the mixed-fleet test: an app for the real `q` CLI (the Python half is
// python/fleet_app.py, for the `dramatiq` CLI). FLEET_SPEC as there; every run, as it starts,
// appends {lang: "q", message_id, args, pid} to <out_dir>/q-<pid>.jsonl (one file per worker process).
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { setTimeout as sleep } from "node:timers/promises";
import { CurrentMessage, actor, defaultMiddleware } from "@q/core";
import { RedisBroker } from "@q/broker-redis";
import { RabbitmqBroker } from "@q/broker-rabbitmq";

const spec = JSON.parse(process.env.FLEET_SPEC);
const middleware = [...defaultMiddleware(), new CurrentMessage()];
export const broker =
  spec.broker === "redis" ? new RedisBroker({ url: spec.url, namespace: spec.namespace, middleware }) : new RabbitmqBroker({ url: spec.url, middleware });

const out = join(spec.out_dir, `q-${process.pid}.jsonl`);
actor(
  async function fleetJob(...args) {
    const m = CurrentMessage.getCurrentMessage();
    appendFileSync(out, JSON.stringify({ lang: "q", message_id: m.messageId, args, pid: process.pid }) + "\n");
    await sleep(spec.sleep_ms);
  },
  { broker, queueName: spec.queue, actorName: spec.actor, maxRetries: 0 },
);
