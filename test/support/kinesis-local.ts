import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { freePort, spawnServer, waitUntilReady } from "./child-server.ts";

const require = createRequire(import.meta.url);

export interface LocalServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Stream state changes take this long instead of kinesis-local's default 500 ms. */
const SHORT = "100ms";

/**
 * kinesis-local 0.6.2 (kinesis-mock compiled to one JS file) as a child process on free ports: the
 * faithful server for resharding, ChildShards, UpdateShardCount, on-demand and StreamARN. It is
 * slow per record, so keep the streams it serves tiny.
 */
export async function startKinesisLocal(): Promise<LocalServer & { tlsEndpoint: string }> {
  const packageDir = dirname(require.resolve("kinesis-local/package.json"));
  const [plainPort, tlsPort] = await Promise.all([freePort(), freePort()]);
  const server = spawnServer(process.execPath, [join(packageDir, "main.js")], {
    cwd: packageDir,
    env: {
      KINESIS_MOCK_CERT_PATH: join(packageDir, "server.json"),
      KINESIS_MOCK_PLAIN_PORT: String(plainPort),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      CREATE_STREAM_DURATION: SHORT,
      DELETE_STREAM_DURATION: SHORT,
      SPLIT_SHARD_DURATION: SHORT,
      MERGE_SHARDS_DURATION: SHORT,
      UPDATE_SHARD_COUNT_DURATION: SHORT,
      UPDATE_STREAM_MODE_DURATION: SHORT,
      REGISTER_STREAM_CONSUMER_DURATION: SHORT,
      DEREGISTER_STREAM_CONSUMER_DURATION: SHORT,
      START_STREAM_ENCRYPTION_DURATION: SHORT,
      STOP_STREAM_ENCRYPTION_DURATION: SHORT,
      SHARD_LIMIT: "1000",
      // Never read or write a data file: every start is empty and nothing is left on disk.
      LOAD_DATA_IF_EXISTS: "false",
      SHOULD_PERSIST_DATA: "false",
      // Its per-request INFO lines would only fill the output tail we keep for failures.
      LOG_LEVEL: "WARN",
    },
  });
  const endpoint = `http://127.0.0.1:${plainPort}`;
  const probe = new KinesisClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-not-real" },
    maxAttempts: 1,
    attemptTimeout: 2,
  });
  await waitUntilReady("kinesis-local", server, async () => {
    await probe.http.call("ListStreams", {});
    return true;
  }, 60_000);
  // The TLS port serves HTTP/2 (SubscribeToShard); its certificate (server.json) is self-signed with CN=Unknown.
  return { endpoint, tlsEndpoint: `https://127.0.0.1:${tlsPort}`, close: () => server.kill() };
}
