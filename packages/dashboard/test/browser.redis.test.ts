// The dashboard in headless Chromium against real Redis and a real worker: counts after real
// work, requeue making the worker run a dead letter (exactly once), delete and purge, live
// refresh, CSRF from another site refused, read-only mode; and the screenshots in docs/images.
import http from "node:http";
import path from "node:path";
import { RedisBroker } from "@q/broker-redis";
import { Worker, actor } from "@q/core";
import { silentLogger, waitFor } from "@q/test-support";
import { REDIS_URL, freshNamespace, requireRedis } from "@q/test-support/redis";
import type { Browser, Page } from "playwright-core";
import { createDashboard } from "../src";
import { launchChromium } from "./support/chromium";
import { type Served, serve } from "./support/serve";

jest.setTimeout(60_000);

const IMAGES = path.resolve(__dirname, "../../../docs/images");

let browser: Browser;
let broker: RedisBroker;
let worker: Worker;
let dashboard: Served;
const runs = new Map<number, number>();
let failing = true;

beforeAll(async () => {
  await requireRedis();
  browser = await launchChromium();
  broker = new RedisBroker({ url: REDIS_URL, namespace: freshNamespace("qdash"), logger: silentLogger() });
  actor(
    function charge(order: number) {
      runs.set(order, (runs.get(order) ?? 0) + 1);
      if (failing) throw new Error(`card declined for order ${order}`);
    },
    // One retry, so each dead letter carries the traceback of its first attempt (Retries writes it).
    { broker, queueName: "payments", maxRetries: 1, minBackoff: 10, maxBackoff: 20 },
  );
  actor(function report(_day: string) {}, { broker, queueName: "reports" });
  // The worker runs payments only: reports stay pending, to be counted.
  worker = new Worker(broker, { queues: ["payments"], timeout: 100 });
  await worker.start();
  dashboard = await serve(createDashboard({ broker, prefix: "/q", refreshMs: 300 }));
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
  await worker?.stop();
  if (broker) {
    const keys = await broker.client.keys(`${broker.namespace}:*`);
    if (keys.length) await broker.client.del(...keys);
    await broker.close();
  }
});

async function open(pathname: string, viewport = { width: 1100, height: 640 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && problems.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  page.on("pageerror", (e) => problems.push(e.message));
  page.on("request", (r) => !r.url().startsWith(dashboard.url) && problems.push(`external request ${r.url()}`));
  (page as Page & { problems: string[] }).problems = problems;
  await page.goto(dashboard.url + pathname);
  return page;
}

const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;
const cell = (page: Page, queue: string, name: string) => page.locator(`tr[data-queue="${queue}"] [data-count="${name}"]`).innerText();

test("counts, dead letters, requeue, delete and purge in a browser, with live refresh and screenshots", async () => {
  const orders = [1, 2, 3, 4];
  for (const n of orders) await broker.getActor("charge").send(n);
  await broker.getActor("report").send("monday");
  await broker.getActor("report").send("tuesday");
  await broker.getActor("report").sendWithOptions({ args: ["friday"], delay: 3_600_000 });
  await waitFor("four dead letters", async () => (await broker.queueDepth("payments")).deadLetters === 4);

  const home = await open("/q/");
  expect([await cell(home, "payments", "pending"), await cell(home, "payments", "deadLetters")]).toEqual(["0", "4"]);
  expect([await cell(home, "reports", "pending"), await cell(home, "reports", "delayed"), await cell(home, "reports", "deadLetters")]).toEqual(["2", "1", "0"]);
  await home.screenshot({ path: path.join(IMAGES, "dashboard-queues.png") });

  const dead = await open("/q/queues/payments?part=dead");
  const rows = dead.locator("tbody tr[data-message]");
  expect(await rows.count()).toBe(4);
  // Oldest first: the order depends on the retries' backoff, so find each order's row by its args.
  const rowOf = (order: number) => rows.filter({ has: dead.locator("td", { hasText: new RegExp(`^\\[${order}\\]$`) }) });
  for (const n of orders) expect(await rowOf(n).locator("td.err").innerText()).toBe(`Error: card declined for order ${n}`);
  await dead.screenshot({ path: path.join(IMAGES, "dashboard-dead-letters.png") });

  const firstId = (await rowOf(1).getAttribute("data-message"))!;
  const secondId = (await rowOf(2).getAttribute("data-message"))!;
  const one = await open(`/q/queues/payments/messages/${firstId}`);
  expect(await one.locator("h1").innerText()).toBe("charge");
  expect(await one.locator("pre").last().innerText()).toContain("card declined for order 1");
  await one.screenshot({ path: path.join(IMAGES, "dashboard-message.png"), fullPage: true });
  expect(problemsOf(one)).toEqual([]);
  // Closed before its message is requeued: its live refresh would then get the 404 page that says so.
  await one.close();

  // Requeue: the worker runs it again, now successfully, exactly once more.
  failing = false;
  await rowOf(1).getByRole("button", { name: "Requeue" }).click();
  await dead.waitForURL(/notice=/);
  expect(await dead.locator(".notice").innerText()).toBe(`Requeued ${firstId}: a worker will run it again.`);
  await waitFor("order 1 to run again", () => runs.get(1) === 3);

  // Delete one (confirming the dialog), then purge the rest.
  dead.on("dialog", (d) => void d.accept());
  await dead.locator(`tr[data-message="${secondId}"]`).getByRole("button", { name: "Delete" }).click();
  await dead.waitForURL(/notice=Deleted/);
  expect(await dead.locator("tbody tr[data-message]").count()).toBe(2);
  await dead.getByRole("button", { name: "Purge dead letters" }).click();
  await dead.waitForURL(/notice=Deleted\+2/);
  expect(await dead.locator("tbody tr[data-message]").count()).toBe(0);
  expect(await broker.queueDepth("payments")).toMatchObject({ pending: 0, deadLetters: 0 });
  expect(Object.fromEntries(runs)).toEqual({ 1: 3, 2: 2, 3: 2, 4: 2 });

  // Live refresh: a new dead letter appears on the open home page without a reload.
  failing = true;
  const before = await home.evaluate(() => performance.getEntriesByType("navigation").length);
  await broker.getActor("charge").send(5);
  await home.waitForFunction(() => document.querySelector('tr[data-queue="payments"] [data-count="deadLetters"]')?.textContent === "1", undefined, { timeout: 10_000 });
  expect(await home.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(before);

  const workers = await open("/q/workers");
  expect(await workers.locator("tbody tr[data-worker]").count()).toBeGreaterThanOrEqual(1);
  await workers.screenshot({ path: path.join(IMAGES, "dashboard-workers.png") });
  const phone = await open("/q/queues/payments?part=dead", { width: 390, height: 760 });
  expect(await phone.locator("tbody tr[data-message]").count()).toBe(1);
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await phone.screenshot({ path: path.join(IMAGES, "dashboard-phone.png"), fullPage: true });

  for (const page of [home, dead, workers, phone]) expect(problemsOf(page)).toEqual([]);
});

test("a form posted from another site is refused (CSRF), and nothing changes", async () => {
  failing = true;
  await broker.getActor("charge").send(6);
  // Order 5 (left by the first test) and 6, each after its two attempts.
  await waitFor("two dead letters", async () => runs.get(6) === 2 && (await broker.queueDepth("payments")).deadLetters === 2);
  const deadBefore = (await broker.queueDepth("payments")).deadLetters;
  // The user has the dashboard open (so has its cookie), then visits a hostile page elsewhere.
  await open("/q/");
  const evil = await serve((_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader("Content-Type", "text/html");
    res.end(`<form id="f" method="post" action="${dashboard.url}/q/queues/payments/requeue-all"><input name="csrf" value="guess"></form><script>document.getElementById("f").submit()</script>`);
  });
  try {
    const page = await browser.newPage();
    const response = page.waitForResponse((r) => r.url().endsWith("/requeue-all"));
    await page.goto(`${evil.url}/`);
    const refused = await response;
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toMatch(/CSRF check failed/);
  } finally {
    await evil.close();
  }
  expect((await broker.queueDepth("payments")).deadLetters).toBe(deadBefore);
});

test("read-only mode in a browser: no buttons, and a POST made anyway is refused", async () => {
  const readOnly = await serve(createDashboard({ broker, prefix: "/q", readOnly: true }));
  try {
    const page = await browser.newPage();
    await page.goto(`${readOnly.url}/q/queues/payments?part=dead`);
    expect(await page.locator("tbody tr[data-message]").count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator("button").count()).toBe(0);
    const status = await page.evaluate(async () => (await fetch("/q/queues/payments/purge", { method: "POST", body: new URLSearchParams({ part: "dead" }) })).status);
    expect(status).toBe(403);
    expect((await broker.queueDepth("payments")).deadLetters).toBeGreaterThanOrEqual(1);
  } finally {
    await readOnly.close();
  }
});
