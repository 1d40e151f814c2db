/**
 * Runs one of the web apps against a running worker (`q dist/broker.js dist/tasks.js`):
 *
 *     PORT=3000 node dist/serve.js express | fastify
 */
import type { Server } from "node:http";
import { createRecipesBroker } from "./createRecipesBroker";
import { declareTasks } from "./declareTasks";
import { createExpressApp } from "./web/express";
import { createFastifyApp } from "./web/fastify";

/**
 * Starts the named app on `port` with the recipes' broker; returns a function that stops
 * the server and closes the broker.
 *
 * @example
 * const stop = await serve("fastify", 3000);
 */
export async function serve(framework: string, port: number): Promise<() => Promise<void>> {
  if (framework !== "express" && framework !== "fastify") throw new Error(`serve.js takes express or fastify, not ${JSON.stringify(framework)}`);
  const recipes = createRecipesBroker();
  declareTasks(recipes.broker);
  if (framework === "fastify") {
    const app = createFastifyApp(recipes.broker);
    const address = await app.listen({ port, host: "127.0.0.1" });
    console.log(`fastify app listening on ${address}`);
    return async () => {
      await app.close();
      await recipes.close();
    };
  }
  const app = createExpressApp(recipes.broker);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, "127.0.0.1", (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const where = server.address();
  console.log(`express app listening on http://127.0.0.1:${typeof where === "object" && where ? where.port : port}`);
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await recipes.close();
  };
}

if (require.main === module) {
  serve(process.argv[2] ?? "", Number(process.env.PORT ?? 3000))
    .then((stop) => {
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stop());
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
