/**
 * Node side of the lease bridge (protocol.ts): start the platform that hosts the real backend — a
 * Durable Object in workerd (Miniflare) or Deno KV in Deno — on a loopback port, and stop it after.
 */
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { type SpawnedServer, spawnServer, waitUntilReady } from "../child-server.ts";

const ROOT = resolve(import.meta.dirname, "../../..");

export interface Bridge {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  close(): Promise<void>;
}

/** test/support/lease-bridge/worker.ts in Miniflare: one Durable Object holds every row, storage as workerd runs it. */
export async function startDurableObjectBridge(options: { sqlite?: boolean } = {}): Promise<Bridge> {
  const bundle = await build({
    entryPoints: [join(ROOT, "test/support/lease-bridge/worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: "2025-09-01",
    durableObjects: { BRIDGE: { className: "LeaseBridge", useSQLite: options.sqlite ?? false } },
    host: "127.0.0.1",
    port: 0,
  });
  const url = (await mf.ready).origin;
  return { url, close: () => mf.dispose() };
}

/** test/support/lease-bridge/deno-server.ts on Deno with an in-memory Deno KV (`Deno.openKv(":memory:")`). */
export async function startDenoKvBridge(): Promise<Bridge> {
  const server: SpawnedServer = spawnServer(
    join(ROOT, "node_modules", ".bin", "deno"),
    ["run", "--unstable-kv", "--no-lock", "--no-prompt", "--allow-net=127.0.0.1", "test/support/lease-bridge/deno-server.ts"],
    { cwd: ROOT, env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } },
  );
  let port: number | undefined;
  server.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const match = /"port":(\d+)/.exec(chunk);
    if (match !== null) port ??= Number(match[1]);
  });
  await waitUntilReady("Deno KV bridge", server, async () => port !== undefined, 30_000);
  return { url: `http://127.0.0.1:${port}`, close: () => server.kill() };
}
