// The one-line mountings the README documents, in real Express and Fastify servers: pages,
// assets and a CSRF-checked action under the prefix, the app's own routes untouched.
import type { AddressInfo } from "node:net";
import { Message } from "@q/core";
import { StubBroker } from "@q/broker-stub";
import { silentLogger } from "@q/test-support";
import express from "express";
import Fastify from "fastify";
import { createDashboard } from "../src";
import { Session } from "./support/serve";

async function brokerWithDeadLetter(): Promise<{ broker: StubBroker; id: string }> {
  const broker = new StubBroker({ logger: silentLogger() });
  broker.declareQueue("emails");
  const sent = await broker.enqueue(new Message({ queueName: "emails", actorName: "send_email", args: [] }));
  const consumer = broker.consume("emails", { prefetch: 1, timeout: 50 });
  await consumer.nack((await consumer.next())!);
  await consumer.close();
  return { broker, id: sent.messageId };
}

async function exercise(base: string, broker: StubBroker, id: string): Promise<void> {
  const s = new Session(base);
  const page = await s.get("/q/queues/emails?part=dead");
  expect(page.status).toBe(200);
  expect(page.text).toContain(`data-message="${id}"`);
  expect(page.text).toContain('action="/q/queues/emails/requeue"');
  expect((await s.get("/q/assets/app.css")).status).toBe(200);
  const done = await s.post("/q/queues/emails/requeue", { id, csrf: s.token });
  expect(done.status).toBe(303);
  expect(done.location).toMatch(/^\/q\/queues\/emails\?part=dead&notice=/);
  expect(await broker.queueDepth("emails")).toMatchObject({ pending: 1, deadLetters: 0 });
  expect(await (await fetch(`${base}/hello`)).text()).toBe("app route");
}

test("Express: app.use('/q', createDashboard({ broker, prefix: '/q' })), with or without a body parser in front", async () => {
  for (const parser of [false, true]) {
    const { broker, id } = await brokerWithDeadLetter();
    const app = express();
    if (parser) app.use(express.urlencoded({ extended: false }));
    app.use("/q", createDashboard({ broker, prefix: "/q" }));
    app.get("/hello", (_req, res) => {
      res.send("app route");
    });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      await exercise(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, broker, id);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }
});

test("Fastify: an onRequest hook hands the prefix to the dashboard before Fastify parses bodies", async () => {
  const { broker, id } = await brokerWithDeadLetter();
  const app = Fastify();
  const dashboard = createDashboard({ broker, prefix: "/q" });
  app.addHook("onRequest", (req, reply, done) => (req.url.startsWith("/q") ? (reply.hijack(), dashboard(req.raw, reply.raw)) : done()));
  app.get("/hello", async () => "app route");
  const base = await app.listen({ port: 0, host: "127.0.0.1" });
  try {
    await exercise(base, broker, id);
  } finally {
    await app.close();
  }
});
