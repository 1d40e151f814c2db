/* eslint-disable @typescript-eslint/no-require-imports */
// The broker module measureQBoot.js runs `q` with: a RedisBroker on its own namespace, one actor.
"use strict";
const { RedisBroker } = require("@q/broker-redis");
const { actor, setBroker } = require("@q/core");

const broker = new RedisBroker({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", namespace: process.env.Q_NAMESPACE ?? "q-boot-bench" });
setBroker(broker);
actor(async function bootNoop() {}, { queueName: "boot-bench" });
module.exports = { broker };
