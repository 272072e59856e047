import { RedisCommandError } from "../../errors.ts";
import type { RedisCall } from "./client.ts";

/**
 * Runs Lua scripts by hash (`EVALSHA`), sending the source (`EVAL`, which also caches it on the
 * server) only when the server does not know the hash yet: after a restart, a `SCRIPT FLUSH`, or on
 * a replica promoted since. Hashes are computed once per script with Web Crypto.
 */
export class ScriptRunner {
  readonly #call: RedisCall;
  readonly #hashes = new Map<string, Promise<string>>();

  constructor(call: RedisCall) {
    this.#call = call;
  }

  async run(source: string, keys: readonly string[], args: readonly string[], signal?: AbortSignal): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    const sha = await this.#hash(source);
    try {
      return await this.#call(["EVALSHA", sha, ...tail], signal);
    } catch (error) {
      if (!(error instanceof RedisCommandError) || error.replyCode !== "NOSCRIPT") throw error;
      return this.#call(["EVAL", source, ...tail], signal);
    }
  }

  #hash(source: string): Promise<string> {
    let hash = this.#hashes.get(source);
    if (hash === undefined) {
      hash = sha1Hex(source);
      this.#hashes.set(source, hash);
    }
    return hash;
  }
}

/** SHA-1 in lower-case hex, as Redis names scripts. */
export async function sha1Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
