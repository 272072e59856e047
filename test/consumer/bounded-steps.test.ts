/**
 * Bounded steps (`stopAfter`): iteration ends at the first bound reached (items, seconds, requests),
 * close() commits and releases, and the next step — a new consumer, as in the next cron run — starts
 * right after the last item: nothing lost, nothing repeated. Inside a KPL aggregate the step resumes
 * at the next sub-record, through every checkpointer's "never backwards" rule.
 */
import { createRequire } from "node:module";
import { afterAll, describe, expect, inject, it } from "vitest";
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import type { CheckPointer } from "../../src/checkpointers/types.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import type { StopAfter } from "../../src/consumer/step-budget.ts";
import { ConfigError } from "../../src/errors.ts";
import { createStream, localKinesis, testCredentials, uniqueName } from "../support/clients.ts";
import { fetchTap } from "../support/fetch-tap.ts";
import { useRedisFixture } from "../support/redis-fixture.ts";
import { sdkKinesis, sdkPutAll } from "../support/sdk.ts";

interface OracleAggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer }): void;
  build(): { partitionKey: string; data: Buffer } | undefined;
}
const oracle = createRequire(import.meta.url)("aws-kinesis-agg") as { RecordAggregator: new () => OracleAggregator };

const sdk = sdkKinesis();
afterAll(() => sdk.destroy());
const redis = useRedisFixture();

type Item = { n: number };

function dynamoCheckPointer(name: string, fetch?: typeof globalThis.fetch): DynamoDBCheckPointer {
  return new DynamoDBCheckPointer({
    name,
    endpoint: inject("dynamodbEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    ...(fetch === undefined ? {} : { fetch }),
  });
}

function stepConsumer(
  streamName: string,
  checkpointer: CheckPointer,
  stopAfter: StopAfter,
  extra: { fetch?: typeof fetch; onEvent?: (e: ConsumerEvent) => void } = {},
): Consumer<Item> {
  return new Consumer<Item>({
    streamName,
    checkpointer,
    endpoint: inject("kinesisEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    shardFetchRate: 5,
    idleTimeout: 1,
    stopAfter,
    ...extra,
  });
}

/** One step as a cron run does it: iterate until the step ends, then close. */
async function runStep(consumer: Consumer<Item>): Promise<number[]> {
  const seen: number[] = [];
  try {
    for await (const item of consumer) seen.push(item.n);
  } finally {
    await consumer.close();
  }
  return seen;
}

async function putNumbers(streamName: string, from: number, count: number): Promise<void> {
  const entries = Array.from({ length: count }, (_, i) => ({ data: new TextEncoder().encode(JSON.stringify({ n: from + i })), partitionKey: `k${from + i}` }));
  await localKinesis().putRecords(streamName, entries);
}

function aggregate(numbers: readonly number[]): Uint8Array {
  const aggregator = new oracle.RecordAggregator();
  for (const n of numbers) aggregator.addUserRecord({ partitionKey: `k${n}`, data: Buffer.from(JSON.stringify({ n })) });
  return new Uint8Array(aggregator.build()!.data);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe("stopAfter", () => {
  it("rejects a bound that is not a positive number, and an empty stopAfter", () => {
    expect(() => stepConsumer("s", new MemoryCheckPointer(), { records: 0 })).toThrow(ConfigError);
    expect(() => stepConsumer("s", new MemoryCheckPointer(), { seconds: -1 })).toThrow(/stopAfter\.seconds/);
    expect(() => stepConsumer("s", new MemoryCheckPointer(), {})).toThrow(/stopAfter needs records, seconds or requests/);
    expect(() => stepConsumer("s", new MemoryCheckPointer(), { recrods: 3 } as StopAfter)).toThrow(ConfigError);
  });

  it("a records bound ends iteration after that many items, and each next step resumes right after the last one", async () => {
    const stream = await createStream(localKinesis(), 1, "step-records");
    await putNumbers(stream, 0, 10);
    const checkpointer = new MemoryCheckPointer();
    const events: ConsumerEvent[] = [];
    const steps: number[][] = [];
    for (let i = 0; i < 3; i++) steps.push(await runStep(stepConsumer(stream, checkpointer, { records: 4 }, { onEvent: (e) => events.push(e) })));
    expect(steps).toEqual([range(0, 4), range(4, 8), range(8, 10)]);
    const ends = events.filter((e) => e.type === "stepEnded");
    expect(ends.map((e) => e.reason)).toEqual(["records", "records", "idle"]);
  });

  it("an item put back by leaving the loop counts once toward the records bound, when it is yielded again", async () => {
    const stream = await createStream(localKinesis(), 1, "step-put-back");
    await putNumbers(stream, 0, 10);
    await using consumer = stepConsumer(stream, new MemoryCheckPointer(), { records: 3 });
    for await (const item of consumer) {
      expect(item.n).toBe(0);
      break; // item 0 goes back, unconfirmed
    }
    const again: number[] = [];
    for await (const item of consumer) again.push(item.n);
    expect(again).toEqual([0, 1, 2]);
  });

  describe.each(
    [
      ["memory", () => new MemoryCheckPointer()],
      ["DynamoDB", () => dynamoCheckPointer(uniqueName("step-kpl"))],
      ["Redis", () => redis.store(uniqueName("step-kpl"))],
    ] as const,
  )("with %s leases", (_name, makeCheckPointer) => {
    it("a records bound inside a KPL aggregate resumes at the next sub-record, never repeating one", async () => {
      const stream = await createStream(localKinesis(), 1, "step-kpl");
      const [aggregated] = await sdkPutAll(sdk, stream, [{ data: aggregate(range(0, 5)), partitionKey: "agg" }]);
      await putNumbers(stream, 5, 1);
      const checkpointer = makeCheckPointer();
      try {
        const first = await runStep(stepConsumer(stream, checkpointer, { records: 2 }));
        expect(first).toEqual([0, 1]);
        // The checkpoint names the sub-record: the aggregate's sequence number and sub-sequence 1.
        const probe = await checkpointer.start({ streamName: stream });
        const rows = await probe.list();
        await probe.close();
        expect(rows.map((r) => r.sequence)).toEqual([`${aggregated!.sequenceNumber}:1`]);
        expect(await runStep(stepConsumer(stream, checkpointer, { records: 2 }))).toEqual([2, 3]);
        expect(await runStep(stepConsumer(stream, checkpointer, { records: 2 }))).toEqual([4, 5]);
        expect(await runStep(stepConsumer(stream, checkpointer, { records: 2 }))).toEqual([]);
      } finally {
        await checkpointer.close();
      }
    });
  });

  it("a requests bound counts every Kinesis and DynamoDB request to the end of close(), and the steps together deliver each record once", async () => {
    const stream = await createStream(localKinesis(), 2, "step-requests");
    await putNumbers(stream, 0, 60);
    const group = uniqueName("step-requests");
    const seen: number[] = [];
    const perStep: number[] = [];
    for (let i = 0; i < 12 && seen.length < 60; i++) {
      const tap = fetchTap();
      const consumer = new Consumer<Item>({
        streamName: stream,
        checkpointer: dynamoCheckPointer(group, tap.fetch),
        endpoint: inject("kinesisEndpoint"),
        region: "us-east-1",
        credentials: testCredentials,
        fetch: tap.fetch,
        shardFetchRate: 5,
        recordLimit: 7,
        stopAfter: { requests: 24 },
      });
      seen.push(...(await runStep(consumer)));
      perStep.push(Object.values(tap.counts()).reduce((a, b) => a + b, 0));
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(range(0, 60));
    for (const requests of perStep) expect(requests).toBeLessThanOrEqual(24);
  });

  it("a seconds bound stops fetching and delivering before it runs out, while a producer writes, and the next step takes over exactly", async () => {
    const stream = await createStream(localKinesis(), 1, "step-seconds");
    const checkpointer = new MemoryCheckPointer();
    let producing = true;
    let written = 0;
    const producer = (async () => {
      while (producing) {
        await putNumbers(stream, written, 5);
        written += 5;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const steps: number[][] = [];
    const lateActs: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const startedAt = performance.now();
        const limitAt = startedAt + 1000;
        const tap = fetchTap();
        const wrapped: typeof fetch = (input, init) => {
          if (
            performance.now() >= limitAt && tap.counts()["GetRecords"] !== undefined && new Headers(init?.headers).get("x-amz-target")?.endsWith("GetRecords")
          ) {
            lateActs.push(`step ${i}: GetRecords after the bound`);
          }
          return tap.fetch(input, init);
        };
        const consumer = stepConsumer(stream, checkpointer, { seconds: 1 }, { fetch: wrapped });
        const seen: number[] = [];
        try {
          for await (const item of consumer) {
            if (performance.now() >= limitAt) lateActs.push(`step ${i}: item ${item.n} after the bound`);
            seen.push(item.n);
          }
        } finally {
          await consumer.close();
        }
        steps.push(seen);
      }
    } finally {
      producing = false;
      await producer;
    }
    expect(lateActs).toEqual([]);
    const all = steps.flat();
    expect(all.length).toBeGreaterThan(0);
    // In order, no gap and no repeat across the steps.
    expect(all).toEqual(range(0, all.length));
  });
});
