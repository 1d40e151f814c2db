// The Express and Fastify apps against real Redis, with a Worker on a broker of its own (as a
// `q` process would have): enqueue through the route, poll until done, the failure path, and
// every 400.
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { Worker } from "@q/core";
import { silentLogger, waitFor } from "@q/test-support";
import Redis from "ioredis";
import { type RecipesBroker, createRecipesBroker } from "../src/createRecipesBroker";
import { declareTasks } from "../src/declareTasks";
import { createExpressApp } from "../src/web/express";
import { createFastifyApp } from "../src/web/fastify";
import { REDIS_URL, deleteNamespace, freshNamespace, requireRedis } from "@q/test-support/redis";

interface Answer {
  status: number;
  body: any;
  location: string | undefined;
}

/** An HTTP client of one app, listening on port 0. */
interface Client {
  request(method: "GET" | "POST", path: string, body?: unknown, raw?: string): Promise<Answer>;
  close(): Promise<void>;
}

/** A client for a server listening on 127.0.0.1:`port`, over fetch. */
function fetchClient(port: number, close: () => Promise<void>): Client {
  const base = `http://127.0.0.1:${port}`;
  return {
    async request(method, path, body, raw) {
      const init: RequestInit = { method };
      if (body !== undefined || raw !== undefined) init.body = raw ?? JSON.stringify(body);
      if (init.body !== undefined) init.headers = { "content-type": "application/json" };
      const response = await fetch(base + path, init);
      return { status: response.status, body: await response.json(), location: response.headers.get("location") ?? undefined };
    },
    close,
  };
}

async function expressClient(recipes: RecipesBroker): Promise<Client> {
  const app = createExpressApp(recipes.broker);
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return fetchClient((server.address() as AddressInfo).port, () => new Promise((resolve) => server.close(() => resolve())));
}

// Real listening rather than app.inject(): inject loads light-my-request, whose cookie
// dependency is ESM-only and cannot be required inside Jest's CommonJS runtime.
async function fastifyClient(recipes: RecipesBroker): Promise<Client> {
  const app = createFastifyApp(recipes.broker);
  await app.listen({ port: 0, host: "127.0.0.1" });
  return fetchClient((app.server.address() as AddressInfo).port, () => app.close());
}

describe.each([
  { framework: "express", makeClient: expressClient },
  { framework: "fastify", makeClient: fastifyClient },
])("the $framework app", ({ makeClient }) => {
  // A fresh namespace and queue per test, so no test sees another's messages or results.
  let namespace: string;
  let queue: string;
  let web: RecipesBroker;
  let workerSide: RecipesBroker;
  let worker: Worker;
  let client: Client;

  beforeAll(() => requireRedis());

  beforeEach(async () => {
    namespace = freshNamespace("qrecipes");
    queue = `recipes-${namespace}`;
    web = createRecipesBroker({ namespace, logger: silentLogger() });
    declareTasks(web.broker, queue);
    workerSide = createRecipesBroker({ namespace, logger: silentLogger(), errorTransport: async () => {} });
    declareTasks(workerSide.broker, queue);
    worker = new Worker(workerSide.broker, { concurrency: 2 });
    await worker.start();
    client = await makeClient(web);
  });

  afterEach(async () => {
    await client?.close();
    await worker?.stop();
    await workerSide?.close();
    await web?.close();
    const redis = new Redis(REDIS_URL);
    await deleteNamespace(redis, namespace);
    await redis.quit();
  });

  /** Polls a job's URL until it is no longer pending; returns every answer on the way. */
  async function pollUntilSettled(url: string): Promise<Answer[]> {
    const answers: Answer[] = [];
    await waitFor(`${url} to settle`, async () => {
      const answer = await client.request("GET", url);
      answers.push(answer);
      return answer.body.status !== "pending";
    }, { timeout: 15_000, interval: 25 });
    return answers;
  }

  test("POST /jobs enqueues add: 202 with the id and poll URL, pending while nobody works, then done with the sum", async () => {
    worker.pause(); // so the first poll is certainly before the result
    let accepted: Answer;
    try {
      accepted = await client.request("POST", "/jobs", { a: 2, b: 40 });
      expect(accepted.status).toBe(202);
      const { id } = accepted.body;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(accepted.body).toEqual({ id, actor: "add", status: "pending", poll: `/jobs/${id}?actor=add` });
      expect(accepted.location).toBe(`/jobs/${id}?actor=add`);
      const pending = await client.request("GET", accepted.body.poll);
      expect([pending.status, pending.body]).toEqual([202, { id, actor: "add", status: "pending" }]);
    } finally {
      worker.resume();
    }
    const answers = await pollUntilSettled(accepted.body.poll);
    const last = answers.at(-1)!;
    expect([last.status, last.body]).toEqual([200, { id: accepted.body.id, actor: "add", status: "done", result: 42 }]);
    // Once stored, the result stays readable.
    const again = await client.request("GET", accepted.body.poll);
    expect([again.status, again.body]).toEqual([200, last.body]);
  });

  test("?wait= long-polls: one request answers done once the worker stores the result", async () => {
    const accepted = await client.request("POST", "/jobs", { a: 0.5, b: 0.25 });
    const done = await client.request("GET", `${accepted.body.poll}&wait=10000`);
    expect([done.status, done.body]).toEqual([200, { id: accepted.body.id, actor: "add", status: "done", result: 0.75 }]);
  });

  test("a job that fails for good answers 200 failed, with the remote error's type and message", async () => {
    const accepted = await client.request("POST", "/jobs", { a: 7, b: 0, op: "divide" });
    expect(accepted.status).toBe(202);
    expect(accepted.body.poll).toBe(`/jobs/${accepted.body.id}?actor=divide`);
    const last = (await pollUntilSettled(accepted.body.poll)).at(-1)!;
    expect([last.status, last.body]).toEqual([200, { id: accepted.body.id, actor: "divide", status: "failed", error: { type: "RangeError", message: "cannot divide 7 by zero" } }]);
    // and a divide that works is done, through the same route
    const ok = await client.request("POST", "/jobs", { a: 7, b: 2, op: "divide" });
    expect((await pollUntilSettled(ok.body.poll)).at(-1)!.body).toEqual({ id: ok.body.id, actor: "divide", status: "done", result: 3.5 });
  });

  test.each([
    [{ a: "1", b: 2 }, 'a must be a finite number, got "1".'],
    [{ a: 1 }, "b must be a finite number, got nothing."],
    [{ a: 1, b: null }, "b must be a finite number, got null."],
    [{ a: 1, b: 2, op: "pow" }, 'op must be one of add, divide, got "pow".'],
    [[1, 2], 'The body must be a JSON object such as {"a": 1, "b": 2}.'],
    ["just a string", 'The body must be a JSON object such as {"a": 1, "b": 2}.'],
  ])("POST /jobs %j → 400 %s", async (body, message) => {
    const answer = await client.request("POST", "/jobs", body);
    expect([answer.status, answer.body]).toEqual([400, { error: message }]);
  });

  test("POST /jobs with malformed JSON → 400", async () => {
    const answer = await client.request("POST", "/jobs", undefined, '{"a": 1,');
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^Bad request/);
  });

  test("GET /jobs/:id with a bad id, actor or wait → 400 with the reason; an unknown id is pending", async () => {
    const id = randomUUID();
    const cases: Array<[string, string]> = [
      ["/jobs/not-an-id", '"not-an-id" is not a message id (a UUID such as the id POST /jobs returned).'],
      [`/jobs/${id}?actor=explode`, 'actor must be one of add, divide, got "explode".'],
      [`/jobs/${id}?wait=soon`, 'wait must be a whole number of milliseconds from 0 to 10000, got "soon".'],
      [`/jobs/${id}?wait=60000`, 'wait must be a whole number of milliseconds from 0 to 10000, got "60000".'],
    ];
    for (const [path, error] of cases) {
      const answer = await client.request("GET", path);
      expect([path, answer.status, answer.body]).toEqual([path, 400, { error }]);
    }
    const unknown = await client.request("GET", `/jobs/${id}?wait=100`);
    expect([unknown.status, unknown.body]).toEqual([202, { id, actor: "add", status: "pending" }]);
  });
});
