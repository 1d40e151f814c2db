// The Grafana dashboard in grafana/dashboard.json only queries metrics this package exports.
import fs from "node:fs";
import path from "node:path";
import { DRAMATIQ_METRICS } from "./support/scrape";

const dashboard = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "grafana", "dashboard.json"), "utf8")) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const exported = new Set([
  ...Object.keys(DRAMATIQ_METRICS),
  ...["_bucket", "_sum", "_count"].map((s) => `dramatiq_message_duration_milliseconds${s}`),
  "q_queue_pending_messages",
  "q_queue_delayed_messages",
  "q_queue_dead_letter_messages",
  "q_queue_inflight_messages",
  "q_queue_depth_age_seconds",
]);

test("every panel queries only metrics the middleware exports, and every depth gauge has a panel", () => {
  const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\b(dramatiq|q_queue)_[a-z_]+/g) ?? [])));
  expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  for (const name of ["q_queue_pending_messages", "q_queue_delayed_messages", "q_queue_dead_letter_messages", "q_queue_inflight_messages", "dramatiq_messages_total"]) {
    expect(used.has(name)).toBe(true);
  }
});
