// The dashboard in headless Chromium against real RabbitMQ and a real worker: ready counts and
// consumers after real work, dead letters listed without being lost, a requeued one run exactly
// once more, the live queue explained instead of listed, purge.
import { RabbitmqBroker } from "@q/broker-rabbitmq";
import { Worker, actor } from "@q/core";
import { silentLogger, waitFor } from "@q/test-support";
import { AMQP_URL, freshQueue, requireRabbit } from "@q/test-support/rabbitmq";
import * as amqp from "amqplib";
import type { Browser } from "playwright-core";
import { createDashboard } from "../src";
import { launchChromium } from "./support/chromium";
import { type Served, serve } from "./support/serve";

jest.setTimeout(60_000);

let browser: Browser;
let broker: RabbitmqBroker;
let worker: Worker;
let dashboard: Served;
const queue = freshQueue("qdash");
const runs = new Map<number, number>();
let failing = true;

beforeAll(async () => {
  await requireRabbit();
  browser = await launchChromium();
  broker = new RabbitmqBroker({ url: AMQP_URL, logger: silentLogger() });
  actor(
    function ship(order: number) {
      runs.set(order, (runs.get(order) ?? 0) + 1);
      if (failing) throw new Error(`no courier for order ${order}`);
    },
    { broker, queueName: queue, maxRetries: 0 },
  );
  worker = new Worker(broker, { timeout: 100 });
  await worker.start();
  dashboard = await serve(createDashboard({ broker, prefix: "/q", refreshMs: 0 }));
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await worker?.stop();
  await broker?.close();
  const admin = await amqp.connect(AMQP_URL);
  const channel = await admin.createChannel();
  for (const name of [queue, `${queue}.DQ`, `${queue}.XQ`]) await channel.deleteQueue(name);
  await admin.close();
});

test("counts, dead letters and requeue on RabbitMQ in a browser; the live queue is explained, not listed", async () => {
  for (const n of [1, 2, 3]) await broker.getActor("ship").send(n);
  await waitFor("three dead letters", async () => (await broker.queueDepth(queue)).deadLetters === 3);

  const page = await browser.newPage();
  await page.goto(`${dashboard.url}/q/`);
  const cell = (name: string) => page.locator(`tr[data-queue="${queue}"] [data-count="${name}"]`).innerText();
  expect([await cell("pending"), await cell("deadLetters"), await cell("consumers")]).toEqual(["0", "3", "1"]);
  expect(await page.locator("th", { hasText: "In flight" }).count()).toBe(0);

  await page.goto(`${dashboard.url}/q/queues/${queue}?part=queue`);
  expect(await page.locator(".info").innerText()).toContain("cannot list this part");

  await page.goto(`${dashboard.url}/q/queues/${queue}?part=dead`);
  const rows = page.locator("tbody tr[data-message]");
  expect(await rows.count()).toBe(3);
  // Listing gave every dead letter back.
  expect((await broker.queueDepth(queue)).deadLetters).toBe(3);
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-message")));
  await page.reload();
  expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-message")))).toEqual(ids);

  failing = false;
  await rows.first().getByRole("button", { name: "Requeue" }).click();
  await page.waitForURL(/notice=Requeued/);
  await waitFor("the requeued order to run again", () => [...runs.values()].some((n) => n === 2));
  page.on("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Purge dead letters" }).click();
  await page.waitForURL(/notice=Deleted\+2/);
  await new Promise((r) => setTimeout(r, 300)); // room for a duplicate run to show, if there were one
  expect([...runs.values()].sort()).toEqual([1, 1, 2]);
  expect((await broker.queueDepth(queue)).deadLetters).toBe(0);
});
