/**
 * The library's main job, end to end, through the SAME src/ on every runtime: a Producer writes 50
 * JSON items to a 2-shard stream, a Consumer with a DynamoDBCheckPointer reads them all and closes
 * (checkpointing and releasing its leases), and a second Consumer of the same group resumes after those
 * checkpoints and reads nothing. Web APIs only; each runtime's entry beside this file feeds it.
 */
import { type CheckpointListing, Consumer, type ConsumerEvent, type Credentials, DynamoDBCheckPointer, Producer } from "../../src/index.ts";
import { KinesisClient } from "../../src/aws/index.ts";

export const PIPELINE_ITEMS = 50;
export const PIPELINE_SHARDS = 2;

export interface PipelineInput {
  kinesisEndpoint: string;
  dynamodbEndpoint: string;
  /** Absent: the AWS_* environment variables (Deno, Bun). workerd has none. */
  credentials?: Credentials;
  region?: string;
}

export interface PipelineItem {
  i: number;
  key: string;
  text: string;
}

export interface ConsumerRun {
  /** `i` of every item received, in the order received. */
  items: number[];
  count: number;
  /** The shard and sequence each lease was acquired at (the second run's must be the checkpoints). */
  leases: Array<{ shardId: string; sequence: string | null }>;
  /** Every leaseLost or error event: none is expected. */
  trouble: string[];
}

export interface PipelineResult {
  userAgent: string;
  streamName: string;
  group: string;
  /** The partition key each item was put with, by `i`. */
  keys: string[];
  first: ConsumerRun;
  second: ConsumerRun;
  checkpoints: Array<Omit<CheckpointListing, "owner" | "sequence" | "updatedAt"> & { owner: string | null; sequence: string | null; updatedAt: number | null }>;
  /** Wall time of each step in milliseconds (for reading a failure, never asserted). */
  timings: Record<string, number>;
}

export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const started = Date.now();
  const timings: Record<string, number> = {};
  const mark = (step: string): void => {
    timings[step] = Date.now() - started;
  };
  const common = {
    ...(input.credentials === undefined ? {} : { credentials: input.credentials }),
    ...(input.region === undefined ? {} : { region: input.region }),
  };
  const suffix = crypto.randomUUID().slice(0, 8);
  const streamName = `pipeline-${suffix}`;
  const group = `pipeline-${suffix}`;

  const kinesis = new KinesisClient({ ...common, endpoint: input.kinesisEndpoint, maxAttempts: 2 });
  await kinesis.createStream(streamName, PIPELINE_SHARDS);
  await kinesis.waitForActive(streamName, { pollInterval: 0.05, timeout: 30 });
  mark("streamActive");

  const keys = Array.from({ length: PIPELINE_ITEMS }, (_, i) => `key-${i}-${suffix}`);
  const producer = new Producer<PipelineItem>({ ...common, streamName, endpoint: input.kinesisEndpoint, bufferTime: 0.1 });
  for (const [i, key] of keys.entries()) await producer.put({ i, key, text: `item ${i} ✓` }, key);
  await producer.close();
  mark("produced");

  const checkpointerOptions = {
    ...common,
    name: group,
    endpoint: input.dynamodbEndpoint,
    sessionTimeout: 3,
    heartbeatFrequency: 0.5,
  };
  const first = await consumeAll(new DynamoDBCheckPointer(checkpointerOptions), streamName, input.kinesisEndpoint, common);
  mark("firstConsumed");
  // A new checkpointer instance with the same group name: what a restarted process would build.
  const restarted = new DynamoDBCheckPointer(checkpointerOptions);
  const second = await consumeAll(restarted, streamName, input.kinesisEndpoint, common);
  mark("secondConsumed");
  const rows = await restarted.listCheckpoints({ streamName });
  mark("listed");

  return {
    userAgent: typeof navigator === "undefined" ? "" : navigator.userAgent,
    streamName,
    group,
    keys,
    first,
    second,
    // JSON has no `undefined`: absent fields become null so the test sees them.
    checkpoints: rows.map((row) => ({
      ...row,
      owner: row.owner ?? null,
      sequence: row.sequence ?? null,
      updatedAt: row.updatedAt ?? null,
    })),
    timings,
  };
}

/** One consumer of the group: read until 1.5 s pass without a record, then close (flush, release). */
async function consumeAll(
  checkpointer: DynamoDBCheckPointer,
  streamName: string,
  endpoint: string,
  common: { credentials?: Credentials; region?: string },
): Promise<ConsumerRun> {
  const run: ConsumerRun = { items: [], count: 0, leases: [], trouble: [] };
  const onEvent = (event: ConsumerEvent): void => {
    if (event.type === "leaseAcquired") run.leases.push({ shardId: event.shardId, sequence: event.sequence ?? null });
    if (event.type === "leaseLost" || event.type === "error") run.trouble.push(JSON.stringify(event));
  };
  const consumer = new Consumer<PipelineItem>({
    ...common,
    streamName,
    endpoint,
    checkpointer,
    idleTimeout: 1.5,
    shardFetchRate: 5,
    onEvent,
  });
  try {
    for await (const item of consumer) run.items.push(item.i);
  } finally {
    await consumer.close();
    await checkpointer.close();
  }
  run.count = run.items.length;
  run.leases.sort((a, b) => a.shardId.localeCompare(b.shardId));
  return run;
}
