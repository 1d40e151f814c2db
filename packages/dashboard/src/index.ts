/**
 * @q/dashboard: see and fix @q queues in a browser. `createDashboard({ broker })` returns a
 * request handler to mount in your own server (node:http, Express, Fastify).
 *
 * @example
 * import http from "node:http";
 * import { createDashboard } from "@q/dashboard";
 * http.createServer(createDashboard({ broker, prefix: "/q" })).listen(8080);
 */
export { createDashboard, type DashboardOptions, type DashboardHandler } from "./createDashboard";
export type { BasicAuth } from "./http/basicAuthAllows";
