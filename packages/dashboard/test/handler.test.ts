// The handler over HTTP on the stub broker: pages, escaping, headers, CSRF, read-only, basic
// auth, actions on messages that moved, fragments, prefixes and bad options.
import { ConfigurationError, Message } from "@q/core";
import { StubBroker } from "@q/broker-stub";
import { silentLogger } from "@q/test-support";
import { createDashboard, type DashboardOptions } from "../src";
import { type Served, Session, serve } from "./support/serve";

let served: Served | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

/** A stub broker with `emails`: `pending` waiting messages and `dead` dead letters (actor `actorName`). */
async function brokerWith(pending: number, dead: number, actorName = "send_email", args: unknown[] = ["a@example.org"]): Promise<{ broker: StubBroker; deadIds: string[] }> {
  const broker = new StubBroker({ logger: silentLogger() });
  broker.declareQueue("emails");
  const deadIds: string[] = [];
  for (let i = 0; i < dead; i++) {
    const sent = await broker.enqueue(new Message({ queueName: "emails", actorName, args, options: { retries: 2, traceback: `Traceback\nError: <b>down</b> ${i}` } }));
    const consumer = broker.consume("emails", { prefetch: 1, timeout: 50 });
    const got = (await consumer.next())!;
    await consumer.nack(got);
    await consumer.close();
    deadIds.push(sent.messageId);
  }
  for (let i = 0; i < pending; i++) await broker.enqueue(new Message({ queueName: "emails", actorName, args: [i] }));
  return { broker, deadIds };
}

async function start(options: DashboardOptions): Promise<Session> {
  served = await serve(createDashboard(options));
  return new Session(served.url);
}

/** The count a page shows in a `data-count` cell of a queue row. */
function count(page: string, queue: string, name: string): number | undefined {
  const row = new RegExp(`<tr data-queue="${queue}">([\\s\\S]*?)</tr>`).exec(page)?.[1];
  const m = row && new RegExp(`data-count="${name}">(?:<a [^>]*>)?(\\d+)`).exec(row);
  return m ? Number(m[1]) : undefined;
}

test("the queues page shows every queue with its counts", async () => {
  const { broker } = await brokerWith(3, 2);
  const s = await start({ broker, prefix: "/q" });
  const page = await s.get("/q/");
  expect(page.status).toBe(200);
  expect([count(page.text, "emails", "pending"), count(page.text, "emails", "delayed"), count(page.text, "emails", "deadLetters")]).toEqual([3, 0, 2]);
  expect(page.text).toContain('href="/q/queues/emails?part=dead"');
});

test("everything a queue holds is escaped: actor names, arguments and tracebacks cannot inject markup", async () => {
  const evil = '<img src=x onerror="alert(1)">';
  const { broker, deadIds } = await brokerWith(0, 1, evil, [evil, { "</script>": "<svg onload=alert(2)>" }]);
  const s = await start({ broker });
  const list = await s.get("/queues/emails?part=dead");
  const one = await s.get(`/queues/emails/messages/${deadIds[0]}`);
  for (const text of [list.text, one.text]) {
    expect(text).not.toContain("<img");
    expect(text).not.toContain("<svg");
    expect(text).not.toContain("<b>down</b>");
    expect(text).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  }
  expect(one.text).toContain("&lt;b&gt;down&lt;/b&gt; 0");
});

test("pages and assets carry a strict Content-Security-Policy; the script and styles are served by the handler", async () => {
  const { broker } = await brokerWith(0, 0);
  const s = await start({ broker, prefix: "/ops/q" });
  const page = await s.get("/ops/q/");
  expect(page.headers.get("content-security-policy")).toBe(
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  expect(page.headers.get("x-frame-options")).toBe("DENY");
  expect(page.text).toContain('<script src="/ops/q/assets/app.js" defer></script>');
  expect(page.text).not.toMatch(/<script>|https?:\/\/(?!127\.0\.0\.1)/);
  const js = await s.get("/ops/q/assets/app.js");
  expect([js.status, js.headers.get("content-type")]).toEqual([200, "text/javascript; charset=utf-8"]);
  const css = await s.get("/ops/q/assets/app.css");
  expect([css.status, css.headers.get("content-type")]).toEqual([200, "text/css; charset=utf-8"]);
  expect(css.text).toContain("@media (max-width: 640px)");
});

test("an action needs the CSRF token of the page's cookie and a same-site Origin; otherwise 403 and nothing changes", async () => {
  const { broker, deadIds } = await brokerWith(0, 1);
  const s = await start({ broker });
  await s.get("/queues/emails?part=dead");
  expect(s.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const id = deadIds[0]!;
  const noToken = await s.post("/queues/emails/requeue", { id });
  const wrongToken = await s.post("/queues/emails/requeue", { id, csrf: "x".repeat(43) });
  const otherSite = await s.post("/queues/emails/requeue", { id, csrf: s.token }, { origin: "http://evil.example" });
  const noCookie = await new Session(served!.url).post("/queues/emails/requeue", { id, csrf: s.token });
  for (const r of [noToken, wrongToken, otherSite, noCookie]) {
    expect(r.status).toBe(403);
    expect(r.text).toMatch(/CSRF check failed/);
  }
  expect((await broker.queueDepth("emails")).deadLetters).toBe(1);
  const ok = await s.post("/queues/emails/requeue", { id, csrf: s.token });
  expect(ok.status).toBe(303);
  expect(ok.location).toBe(`/queues/emails?part=dead&notice=Requeued+${id}%3A+a+worker+will+run+it+again.`);
  expect(await broker.queueDepth("emails")).toMatchObject({ pending: 1, deadLetters: 0 });
  const after = await s.get(ok.location!);
  expect(after.text).toContain(`<p class="notice" role="status">Requeued ${id}: a worker will run it again.</p>`);
});

test("an action on a message that moved meanwhile fails cleanly: 409 with the reason, nothing changed", async () => {
  const { broker, deadIds } = await brokerWith(0, 2);
  const s = await start({ broker });
  await s.get("/");
  const id = deadIds[0]!;
  expect((await s.post("/queues/emails/delete", { part: "dead", id, csrf: s.token })).status).toBe(303);
  const again = await s.post("/queues/emails/requeue", { id, csrf: s.token }, { accept: "application/json" });
  expect(again.status).toBe(409);
  expect(JSON.parse(again.text)).toEqual({ ok: false, error: expect.stringMatching(new RegExp(`^Message ${id} is not a dead letter of emails`)) });
  const viaForm = await s.post("/queues/emails/requeue", { id, csrf: s.token });
  expect(viaForm.status).toBe(303);
  expect(new URL(viaForm.location!, "http://x").searchParams.get("error")).toMatch(/processed, requeued, deleted or moved meanwhile/);
  expect((await broker.queueDepth("emails")).deadLetters).toBe(1);
});

test("requeue all, delete and purge do what they say", async () => {
  const { broker } = await brokerWith(2, 3);
  const s = await start({ broker });
  await s.get("/");
  const all = await s.post("/queues/emails/requeue-all", { csrf: s.token }, { accept: "application/json" });
  expect(JSON.parse(all.text)).toEqual({ ok: true, notice: "Requeued 3 dead letter(s) of emails." });
  expect(await broker.queueDepth("emails")).toMatchObject({ pending: 5, deadLetters: 0 });
  const purge = await s.post("/queues/emails/purge", { part: "queue", csrf: s.token }, { accept: "application/json" });
  expect(JSON.parse(purge.text)).toEqual({ ok: true, notice: "Deleted 5 message(s) from emails (queue)." });
  expect((await broker.queueDepth("emails")).pending).toBe(0);
});

test("read-only mode shows no buttons and refuses every action with 403", async () => {
  const { broker, deadIds } = await brokerWith(1, 1);
  const s = await start({ broker, readOnly: true });
  for (const path of ["/", "/queues/emails?part=dead", `/queues/emails/messages/${deadIds[0]}`]) {
    const page = await s.get(path);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain("<form");
  }
  expect((await s.get("/")).text).toContain('<span class="badge">read-only</span>');
  const refused = await s.post("/queues/emails/purge", { part: "dead", csrf: "any" });
  expect([refused.status, refused.text]).toEqual([403, "This dashboard is read-only: actions are turned off."]);
  expect((await broker.queueDepth("emails")).deadLetters).toBe(1);
});

test("basic auth: 401 with a challenge without the right credentials, every path included", async () => {
  const { broker } = await brokerWith(0, 0);
  const s = await start({ broker, basicAuth: { username: "ops", password: "s3cret" } });
  const none = await s.get("/");
  expect(none.status).toBe(401);
  expect(none.headers.get("www-authenticate")).toBe('Basic realm="q dashboard", charset="UTF-8"');
  const auth = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });
  expect((await s.get("/assets/app.js", auth("ops", "wrong"))).status).toBe(401);
  expect((await s.get("/", auth("admin", "s3cret"))).status).toBe(401);
  expect((await s.get("/", auth("ops", "s3cret"))).status).toBe(200);
});

test("a fragment request (the live refresh) gets only the content of <main>", async () => {
  const { broker } = await brokerWith(4, 0);
  const s = await start({ broker });
  const full = await s.get("/");
  const fragment = await s.get("/", { "x-q-fragment": "1" });
  expect(full.text).toMatch(/^<!doctype html>/);
  expect(fragment.text).toMatch(/^<h1>Queues<\/h1>/);
  expect(fragment.text).not.toContain("<html");
  expect(count(fragment.text, "emails", "pending")).toBe(4);
  expect(full.text).toContain('<body data-refresh="2000">');
});

test("unknown pages, parts, queues and messages are 404 pages; outside the prefix is 404 too", async () => {
  const { broker } = await brokerWith(0, 0);
  const s = await start({ broker, prefix: "/q" });
  expect((await s.get("/q/nope")).status).toBe(404);
  expect((await s.get("/q/queues/emails?part=bogus")).status).toBe(404);
  expect((await s.get("/q/queues/bad%20name")).status).toBe(404);
  expect((await s.get("/q/queues/emails/messages/00000000-0000-4000-8000-000000000000")).text).toContain("is not in emails (any more)");
  expect((await s.get("/elsewhere")).status).toBe(404);
  expect((await s.get("/q/queues/emails?part=dead&cursor=nope")).status).toBe(400);
});

test("the workers page says when a broker keeps no registry", async () => {
  const { broker } = await brokerWith(0, 0);
  const s = await start({ broker });
  expect((await s.get("/workers")).text).toContain("StubBroker keeps no registry of workers");
});

test("bad options are a ConfigurationError saying which", () => {
  const broker = new StubBroker({ logger: silentLogger() });
  expect(() => createDashboard({})).toThrow(ConfigurationError);
  expect(() => createDashboard({ broker, prefix: "q" })).toThrow('prefix must be a path such as "/q", got "q".');
  expect(() => createDashboard({ broker, refreshMs: -1 })).toThrow("refreshMs must be a whole number of milliseconds >= 0, got -1.");
  expect(() => createDashboard({ broker, basicAuth: { username: "ops", password: "" } })).toThrow("basicAuth needs a username and a non-empty password.");
  expect(() => createDashboard({ broker, include: ["a b"] })).toThrow('include has "a b", which is not a queue name.');
});
