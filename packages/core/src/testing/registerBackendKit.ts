import assert from "node:assert/strict";
import { ConfigurationError } from "../errors/ConfigurationError";
import { type TestFramework, resolveFramework } from "./conformance";

/** Internal: one case of a backend kit. */
export interface KitCase<C> {
  id: string;
  title: string;
  run(ctx: C): Promise<void>;
}

/** Internal: what {@link registerBackendKit} needs from a kit. */
export interface BackendKitSpec<B, C> {
  /** The kit's function name, for error messages. */
  kit: string;
  /** The `describe` title. */
  title: string;
  cases: readonly KitCase<C>[];
  framework?: Partial<TestFramework>;
  testTimeout?: number;
  skip?: readonly string[];
  ttlResolution?: number;
  /** The per-test context; `track` registers each backend it makes for disposal after the test. */
  makeContext(track: (backend: B) => B, resolution: number): Promise<C>;
  destroyBackend?(backend: B): void | Promise<void>;
}

/**
 * Internal: the part every backend kit shares. Checks the common options (throwing before
 * anything is registered), then registers one test per case with a fresh context, and
 * disposes of the test's backends after it.
 */
export function registerBackendKit<B, C>(spec: BackendKitSpec<B, C>): void {
  const { kit } = spec;
  const fw = resolveFramework(spec.framework, kit);
  const resolution = spec.ttlResolution ?? 1;
  if (!(typeof resolution === "number" && resolution >= 1 && resolution < Infinity)) {
    throw new ConfigurationError(`${kit}: ttlResolution must be a number of milliseconds >= 1, got ${String(resolution)}.`);
  }
  const testTimeout = spec.testTimeout ?? 20_000;
  const skip = new Set<string>(spec.skip ?? []);
  for (const id of skip) {
    if (!spec.cases.some((c) => c.id === id)) throw new ConfigurationError(`${kit}: unknown case ${JSON.stringify(id)} in skip.`);
  }

  fw.describe(spec.title, () => {
    let made: B[] = [];
    let ctx: C | undefined;

    fw.beforeEach(async () => {
      made = [];
      ctx = await spec.makeContext((backend) => (made.push(backend), backend), resolution);
    }, testTimeout);

    fw.afterEach(async () => {
      const all = made;
      made = [];
      ctx = undefined;
      for (const backend of new Set(all)) await spec.destroyBackend?.(backend);
    }, testTimeout);

    for (const def of spec.cases) {
      const body = async () => {
        assert.ok(ctx, "beforeEach did not create a backend");
        await def.run(ctx);
      };
      if (!skip.has(def.id)) fw.it(def.title, body, testTimeout);
      else if (typeof (fw.it as { skip?: unknown }).skip === "function") {
        (fw.it as unknown as { skip: TestFramework["it"] }).skip(def.title, body, testTimeout);
      }
    }
  });
}
