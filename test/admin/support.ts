import { inject } from "vitest";
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import type { CheckPointer } from "../../src/checkpointers/types.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerOptions } from "../../src/consumer/options.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { localKinesis, testCredentials } from "../support/clients.ts";

export type Item = { n: number };

/** A DynamoDBCheckPointer on the shared dynalite, with lease timing fast enough for tests. */
export function dynamoCheckPointer(name: string, extra: { tableName?: string } = {}): DynamoDBCheckPointer {
  return new DynamoDBCheckPointer({
    name,
    endpoint: inject("dynamodbEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    sessionTimeout: 1.5,
    heartbeatFrequency: 0.3,
    checkpointInterval: 0.1,
    ...extra,
  });
}

/** A consumer of `{ n }` JSON records on the shared kinesalite. */
export function consumerOf(streamName: string, checkpointer: CheckPointer, extra: Partial<ConsumerOptions<Item>> = {}): Consumer<Item> {
  return new Consumer<Item>({
    streamName,
    checkpointer,
    endpoint: inject("kinesisEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    shardFetchRate: 5,
    idleTimeout: 1.5,
    ...extra,
  });
}

/** Iterate until the consumer ends (`idleTimeout`, `stopAfter`), then close it: the numbers seen, in order. */
export async function consumeAll(consumer: Consumer<Item>): Promise<number[]> {
  const seen: number[] = [];
  try {
    for await (const item of consumer) seen.push(item.n);
  } finally {
    await consumer.close();
  }
  return seen;
}

/** Records `{ n: from }` … `{ n: from + count - 1 }`, with keys spread over the shards; their sequence numbers in order. */
export async function putNumbers(streamName: string, from: number, count: number): Promise<Array<{ n: number; sequence: string; shardId: string }>> {
  const entries = Array.from({ length: count }, (_, i) => ({ data: new TextEncoder().encode(JSON.stringify({ n: from + i })), partitionKey: `k${from + i}` }));
  const out = await localKinesis().putRecords(streamName, entries);
  return out.records.map((r, i) => {
    if (r.sequenceNumber === undefined || r.shardId === undefined) throw new Error(`record ${from + i} was not put`);
    return { n: from + i, sequence: r.sequenceNumber, shardId: r.shardId };
  });
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Events of one kind, collected. */
export function eventsOf<K extends ConsumerEvent["type"]>(
  type: K,
): { events: Array<Extract<ConsumerEvent, { type: K }>>; onEvent: (e: ConsumerEvent) => void } {
  const events: Array<Extract<ConsumerEvent, { type: K }>> = [];
  return { events, onEvent: (e) => void (e.type === type ? events.push(e as Extract<ConsumerEvent, { type: K }>) : undefined) };
}
