import type { Broker } from "@q/core";
import express, { type ErrorRequestHandler, type Express, type Response } from "express";
import { type JobResponse, jobsApi } from "./jobs";

function send(res: Response, answer: JobResponse): void {
  if (answer.location) res.location(answer.location);
  res.status(answer.status).json(answer.body);
}

/**
 * The Flask example's counterpart on Express 5: `POST /jobs {a, b, op?}` enqueues `add` (or
 * `divide`) and answers 202 with the message id and a poll URL; `GET /jobs/:id` answers 202
 * `{status: "pending"}` until the result is stored, then 200 `{status: "done", result}` or
 * `{status: "failed", error}`. Bad input is a 400 with the reason. The app does not listen:
 * call `app.listen(port)`, or hand it to a test.
 *
 * @example
 * const { broker } = createRecipesBroker();
 * declareTasks(broker);
 * createExpressApp(broker).listen(3000);
 */
export function createExpressApp(broker: Broker): Express {
  const api = jobsApi(broker);
  const app = express();
  // strict: false takes any JSON value, as Fastify does, so a body that is valid JSON but not
  // an object gets the jobs API's own message rather than a parser error.
  app.use(express.json({ strict: false }));
  // Express 5 passes a rejected handler's error to the error handler below.
  app.post("/jobs", async (req, res) => send(res, await api.submit(req.body)));
  app.get("/jobs/:id", async (req, res) => send(res, await api.status(req.params.id, req.query as Record<string, unknown>)));
  const onError: ErrorRequestHandler = (error, _req, res, _next) => {
    // body-parser's errors carry their own status (400 for malformed JSON, 413 too large).
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ error: `Bad request body: ${(error as Error).message}` });
      return;
    }
    send(res, api.errorResponse(error));
  };
  app.use(onError);
  return app;
}
