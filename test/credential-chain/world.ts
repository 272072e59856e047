import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentialChain } from "../../src/aws/credential-chain/chain.ts";
import type { EnvReader } from "../../src/aws/credential-chain/context.ts";
import { runtimeIo } from "../../src/internal/runtime-io.ts";

/** A temp HOME with optional ~/.aws files; removed by `dispose`. */
export interface TempHome {
  home: string;
  path(name: string): string;
  write(name: string, text: string): Promise<string>;
  dispose(): Promise<void>;
}

export async function tempHome(): Promise<TempHome> {
  const home = await mkdtemp(join(tmpdir(), "async-kinesis-creds-"));
  const { mkdir } = await import("node:fs/promises");
  await mkdir(join(home, ".aws"));
  return {
    home,
    path: (name) => join(home, name),
    async write(name, text) {
      const file = join(home, name);
      await writeFile(file, text);
      return file;
    },
    dispose: () => rm(home, { recursive: true, force: true }),
  };
}

/** An environment made of exactly `values`: process.env is never read or changed. */
export function envOf(values: Record<string, string | undefined>): EnvReader {
  return (name) => {
    const value = values[name];
    return value === undefined || value === "" ? undefined : value;
  };
}

/**
 * `fetch` that only reaches loopback; the two link-local agent addresses are sent to `agents` (a fake)
 * instead, so a test exercises the real URLs without ever leaving the machine.
 */
export function loopbackFetch(agents?: { ecs?: string; imds?: string }): typeof fetch & { urls: string[] } {
  const urls: string[] = [];
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    let url = String(input instanceof Request ? input.url : input);
    urls.push(url);
    if (agents?.ecs !== undefined) url = url.replace("http://169.254.170.2", agents.ecs);
    if (agents?.imds !== undefined) url = url.replace("http://169.254.169.254", agents.imds);
    const host = new URL(url).hostname;
    if (host !== "127.0.0.1" && host !== "localhost") throw new Error(`test tried to reach ${host}`);
    return fetch(url, init);
  }) as typeof fetch & { urls: string[] };
  fn.urls = urls;
  return fn;
}

/** Our chain over an injected world. */
export function chainIn(env: Record<string, string | undefined>, fetchFn: typeof fetch = loopbackFetch(), now = Date.now) {
  return credentialChain({ region: "eu-west-1", env: envOf(env), io: runtimeIo(), fetch: fetchFn, now });
}

export const HOUR = 3_600_000;
export function isoIn(ms: number): string {
  return new Date(Math.floor((Date.now() + ms) / 1000) * 1000).toISOString().replace(".000Z", "Z");
}
