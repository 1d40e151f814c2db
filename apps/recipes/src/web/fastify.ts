import type { Broker } from "@q/core";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { type JobResponse, jobsApi } from "./jobs";

function send(reply: FastifyReply, answer: JobResponse): FastifyReply {
  if (answer.location) reply.header("location", answer.location);
  return reply.code(answer.status).send(answer.body);
}

/**
 * The same jobs API as {@link createExpressApp}, on Fastify 5: `POST /jobs {a, b, op?}` → 202
 * with the id and poll URL; `GET /jobs/:id` → 202 pending, then 200 done or failed; bad
 * input → 400 with the reason. Not listening: `await app.listen({ port })`, or `app.inject()`.
 *
 * @example
 * const { broker } = createRecipesBroker();
 * declareTasks(broker);
 * await createFastifyApp(broker).listen({ port: 3000 });
 */
export function createFastifyApp(broker: Broker): FastifyInstance {
  const api = jobsApi(broker);
  const app = Fastify();
  app.post("/jobs", async (request, reply) => send(reply, await api.submit(request.body)));
  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>("/jobs/:id", async (request, reply) => send(reply, await api.status(request.params.id, request.query)));
  app.setErrorHandler(async (error, _request, reply) => {
    // Fastify's own 4xx errors (malformed JSON, wrong content type) keep their status.
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) return reply.code(status).send({ error: `Bad request: ${(error as Error).message}` });
    return send(reply, api.errorResponse(error));
  });
  return app;
}
