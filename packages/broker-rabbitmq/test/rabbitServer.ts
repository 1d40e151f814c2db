import { RabbitServer, type RabbitServerOptions } from "@q/test-support/rabbit-server";

export { RabbitServer };

/**
 * Starts a dedicated node before a test file's tests and destroys it after them; returns
 * a getter for it (the node exists only once `beforeAll` has run).
 *
 * @example
 * const server = useRabbitServer({ consumerTimeout: 3000 });
 * const h = useHarness(() => server().url());
 */
export function useRabbitServer(options: RabbitServerOptions = {}): () => RabbitServer {
  let server: RabbitServer | undefined;
  beforeAll(async () => {
    server = await RabbitServer.start(options);
  }, 90_000);
  afterAll(async () => {
    await server?.destroy();
  }, 60_000);
  return () => {
    if (!server) throw new Error("The dedicated RabbitMQ node has not started (or failed to).");
    return server;
  };
}
