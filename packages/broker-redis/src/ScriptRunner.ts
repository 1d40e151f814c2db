import { createHash } from "node:crypto";
import type Redis from "ioredis";
import type { Cluster } from "ioredis";

/**
 * Internal: runs one Lua script by SHA (EVALSHA). After a server restart or a
 * `SCRIPT FLUSH` (or on a Cluster node that never ran it: a failed-over replica) the
 * server answers NOSCRIPT; the call is then sent once with EVAL, which also caches the
 * script on the server that ran it (SCRIPT LOAD would go to a random Cluster node).
 */
export class ScriptRunner {
  readonly sha: string;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly lua: string,
  ) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  async run(keys: readonly string[], args: readonly (string | Buffer | number)[]): Promise<unknown> {
    try {
      return await this.client.callBuffer("EVALSHA", this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return this.client.callBuffer("EVAL", this.lua, keys.length, ...keys, ...args);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.includes("NOSCRIPT");
}
