import { createHash } from "node:crypto";
import type Redis from "ioredis";

/**
 * Internal: runs one Lua script by SHA (EVALSHA). After a server restart or a
 * `SCRIPT FLUSH` the server answers NOSCRIPT; the script is then loaded again and
 * the call retried once.
 */
export class ScriptRunner {
  readonly sha: string;

  constructor(
    private readonly client: Redis,
    private readonly lua: string,
  ) {
    this.sha = createHash("sha1").update(lua).digest("hex");
  }

  async run(keys: readonly string[], args: readonly (string | Buffer | number)[]): Promise<unknown> {
    try {
      return await this.client.callBuffer("EVALSHA", this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      await this.client.script("LOAD", this.lua);
      return this.client.callBuffer("EVALSHA", this.sha, keys.length, ...keys, ...args);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.includes("NOSCRIPT");
}
