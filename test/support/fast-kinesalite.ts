import { fileURLToPath } from "node:url";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { freePort, spawnServer, waitUntilReady } from "./child-server.ts";
import { testCredentials } from "./clients.ts";
import type { LocalServer } from "./kinesis-local.ts";

const preload = fileURLToPath(new URL("./fast-clock-preload.cjs", import.meta.url));
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

/**
 * kinesalite in a child process whose clock runs `factor` times faster than real time: its
 * 5-minute iterator lifetime passes in 300/factor seconds, so a paused reader's iterator really
 * expires on the server's own terms (ExpiredIteratorException), with nothing mocked in the client.
 */
export async function startFastKinesalite(factor: number): Promise<LocalServer & { iteratorLifetimeMs: number }> {
  const port = await freePort();
  const script = `require("kinesalite")({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 }).listen(${port}, "127.0.0.1")`;
  const server = spawnServer(process.execPath, ["-r", preload, "-e", script], {
    cwd: repoRoot,
    env: { FAST_CLOCK_FACTOR: String(factor) },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new KinesisClient({ endpoint, region: "us-east-1", credentials: testCredentials, maxAttempts: 1, attemptTimeout: 2 });
  await waitUntilReady("fast-clock kinesalite", server, async () => {
    await probe.http.call("ListStreams", {});
    return true;
  }, 30_000);
  return { endpoint, iteratorLifetimeMs: 300_000 / factor, close: () => server.kill() };
}
