/**
 * `npm run demo`: the main job on an embedded default. Starts local Kinesis and DynamoDB in this
 * process (kinesalite + dynalite; no AWS account), creates a 4-shard stream, runs a producer and three
 * consumers sharing the shards through DynamoDBCheckPointer leases, closes one consumer gracefully and
 * "kills" another (its network cut: no release, no heartbeats), and shows live progress and a summary.
 * Exits 0 when every produced record was delivered.
 */
import { KinesisClient } from "../src/aws/index.ts";
import { Consumer, DynamoDBCheckPointer, Producer } from "../src/index.ts";
import { startLocalServers } from "../test/support/local-servers.ts";

const SHARDS = 4;
const RATE = 400; // records per second
const PRODUCE_SECONDS = 18;
const GRACEFUL_CLOSE_AT = 6; // worker B leaves politely
const CRASH_AT = 10; // worker C loses its network
const SESSION_TIMEOUT = 5; // seconds; the guide's default is 60, shortened so the demo fits a minute
const HEARTBEAT = 1; // seconds; the guide's default is 15
const credentials = { accessKeyId: "demo", secretAccessKey: "demo-secret" };
const region = "us-east-1";

interface Worker {
  name: string;
  consumer: Consumer<{ id: number }>;
  checkpointer: DynamoDBCheckPointer;
  delivered: number;
  state: "running" | "closed" | "crashed";
  done: Promise<void>;
}

const servers = await startLocalServers();
const started = Date.now();
const seconds = (): number => (Date.now() - started) / 1000;
const log = (line: string): void => console.log(`${seconds().toFixed(1).padStart(5)}s  ${line}`);

const kinesis = new KinesisClient({ endpoint: servers.kinesisEndpoint, region, credentials });
const streamName = `demo-${Date.now().toString(36)}`;
await kinesis.createStream(streamName, SHARDS);
await kinesis.waitForActive(streamName, { pollInterval: 0.05 });
log(`local Kinesis ${servers.kinesisEndpoint}, DynamoDB ${servers.dynamodbEndpoint}; stream ${streamName} with ${SHARDS} shards`);

const deliveries = new Map<number, number>();
const owners = new Map<string, string>();
const takeoverLog: string[] = [];
let crashedAt: number | undefined;
let takenOverAt: number | undefined;

function startWorker(name: string): Worker {
  // The crash is simulated by cutting this worker's network: every request fails like a dead host's.
  let networkUp = true;
  const workerFetch: typeof fetch = (input, init) => networkUp ? fetch(input, init) : Promise.reject(new TypeError("fetch failed (network cut by the demo)"));
  const checkpointer = new DynamoDBCheckPointer({
    name: "demo-app",
    endpoint: servers.dynamodbEndpoint,
    region,
    credentials,
    sessionTimeout: SESSION_TIMEOUT,
    heartbeatFrequency: HEARTBEAT,
    fetch: workerFetch,
    maxAttempts: 2,
  });
  const consumer = new Consumer<{ id: number }>({
    streamName,
    checkpointer,
    endpoint: servers.kinesisEndpoint,
    region,
    credentials,
    fetch: workerFetch,
    maxAttempts: 2,
    shardFetchRate: 5,
    onEvent: (event) => {
      if (event.type === "leaseAcquired") {
        const previous = owners.get(event.shardId);
        owners.set(event.shardId, name);
        if (previous !== undefined && previous !== name) {
          takeoverLog.push(`${seconds().toFixed(1)}s ${event.shardId}: ${previous} -> ${name}`);
          log(`${name} took ${event.shardId} from ${previous}, resuming after ${event.sequence ?? "the start"}`);
          if (previous === "C" && crashedAt !== undefined) takenOverAt = seconds();
        }
      }
    },
  });
  const worker: Worker = { name, consumer, checkpointer, delivered: 0, state: "running", done: Promise.resolve() };
  worker.done = (async () => {
    try {
      for await (const item of consumer) {
        worker.delivered++;
        deliveries.set(item.id, (deliveries.get(item.id) ?? 0) + 1);
      }
    } catch (error) {
      if (worker.state === "running") log(`${name} stopped: ${(error as Error).message}`);
    }
  })();
  (worker as Worker & { cut: () => void }).cut = () => {
    networkUp = false;
  };
  return worker;
}

const workers = [startWorker("A")];
await new Promise((r) => setTimeout(r, 1500));
workers.push(startWorker("B"), startWorker("C"));
log("workers A, B, C started (B and C joined 1.5 s after A: watch the shards rebalance)");

const producer = new Producer<{ id: number }>({ streamName, endpoint: servers.kinesisEndpoint, region, credentials });
let produced = 0;
const producing = (async () => {
  const total = RATE * PRODUCE_SECONDS;
  const startedAt = Date.now();
  while (produced < total) {
    const due = Math.min(total, Math.floor(((Date.now() - startedAt) / 1000) * RATE));
    while (produced < due) {
      await producer.put({ id: produced }, `user-${produced % 97}`);
      produced++;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await producer.close();
})();

let lastDelivered = 0;
let lastProduced = 0;
const ticker = setInterval(() => {
  const delivered = [...deliveries.values()].reduce((a, b) => a + b, 0);
  const shardsByWorker = workers
    .map((w) =>
      `${w.name}${w.state === "running" ? "" : `(${w.state})`}: ${w.consumer.shards.map((s) => s.replace("shardId-0000000000", "#")).join(",") || "-"}`
    )
    .join(" | ");
  log(`produced ${produced} (+${produced - lastProduced}/s)  delivered ${delivered} (+${delivered - lastDelivered}/s)  ${shardsByWorker}`);
  lastDelivered = delivered;
  lastProduced = produced;
}, 1000);

setTimeout(() => {
  const b = workers[1]!;
  b.state = "closed";
  log("B closes gracefully: it writes its checkpoints and releases its leases");
  void b.consumer.close().then(() => b.checkpointer.close());
}, GRACEFUL_CLOSE_AT * 1000);

setTimeout(() => {
  const c = workers[2]! as Worker & { cut: () => void };
  c.state = "crashed";
  crashedAt = seconds();
  log(`C crashes (network cut, no release): its leases expire after sessionTimeout = ${SESSION_TIMEOUT} s`);
  c.cut();
}, CRASH_AT * 1000);

await producing;
// Wait for the stragglers: every id delivered, or give up after 20 s.
const deadline = Date.now() + 20_000;
while (deliveries.size < produced && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
clearInterval(ticker);

const a = workers[0]!;
await a.consumer.close();
await a.checkpointer.close();
const rows = await a.checkpointer.listCheckpoints();
const missing = produced - deliveries.size;
const redelivered = [...deliveries.values()].reduce((sum, n) => sum + (n - 1), 0);
console.log("\nSummary");
console.log(`  produced            ${produced}`);
console.log(`  delivered (unique)  ${deliveries.size}`);
console.log(`  missing             ${missing}`);
console.log(`  redelivered         ${redelivered}  (handed out before a worker stopped, not yet committed: at-least-once)`);
console.log(`  per worker          ${workers.map((w) => `${w.name} ${w.delivered}`).join(", ")}`);
console.log(`  lease moves         ${takeoverLog.length}`);
for (const line of takeoverLog) console.log(`    ${line}`);
if (crashedAt !== undefined && takenOverAt !== undefined) {
  console.log(
    `  takeover            C's last shard taken ${
      (takenOverAt - crashedAt).toFixed(1)
    } s after its crash (bound: sessionTimeout ${SESSION_TIMEOUT} s + heartbeat ${HEARTBEAT} s)`,
  );
}
console.log("  checkpoint table (as the guide's 'View Table Contents' prints it):");
for (const row of rows) {
  console.log(
    `    ${row.shardId}  owner=${row.owner ?? "-"}  sequence=${row.sequence ?? "-"}  updated=${
      row.updatedAt === undefined ? "-" : new Date(row.updatedAt).toISOString()
    }`,
  );
}
console.log(`  took ${seconds().toFixed(1)} s`);
await servers.close();
// The crashed worker cannot release anything; do not wait for its retries.
process.exit(missing === 0 ? 0 : 1);
