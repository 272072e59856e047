import { expect } from "vitest";
import type { ConsumerRecord } from "../../src/consumer/entries.ts";
import type { KinesisClient } from "../../src/kinesis/client.ts";
import type { Shard } from "../../src/kinesis/types.ts";

/**
 * What the consumer tests under stress (resharding, faults, expired iterators) assert about a run:
 * every record put came out (exactly or at least once), each shard in sequence order, and no child
 * shard's record before its parents' last records.
 */

export interface Put {
  id: string;
  sequenceNumber: string;
  shardId: string;
}

export type Item = { id: string };

const encoder = new TextEncoder();

/** JSON records `{ id }` with partition keys spread over the hash space. */
export function itemRecords(prefix: string, from: number, count: number): Array<{ data: Uint8Array; partitionKey: string; id: string }> {
  return Array.from({ length: count }, (_, i) => {
    const id = `${prefix}-${from + i}`;
    return { id, data: encoder.encode(JSON.stringify({ id })), partitionKey: `pk-${from + i}` };
  });
}

/** Put records with our client; fails the test on any per-record failure (the servers never fail one). */
export async function putItems(kinesis: KinesisClient, stream: string, prefix: string, from: number, count: number): Promise<Put[]> {
  const records = itemRecords(prefix, from, count);
  const result = await kinesis.putRecords(stream, records);
  if (result.failedRecordCount > 0) throw new Error(`${result.failedRecordCount} records failed to put`);
  return result.records.map((r, i) => ({ id: records[i]!.id, sequenceNumber: r.sequenceNumber!, shardId: r.shardId! }));
}

/**
 * A producer that keeps putting small batches until stopped, so resharding happens mid-stream.
 * `stop()` resolves with everything it put, in order.
 */
export function startProducer(
  kinesis: KinesisClient,
  stream: string,
  options: { prefix: string; batch: number; pauseMs: number; max: number },
): { readonly count: number; stop(): Promise<Put[]>; reached(n: number): Promise<void> } {
  const puts: Put[] = [];
  let stopped = false;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const loop = (async () => {
    while (!stopped && puts.length < options.max) {
      const batch = Math.min(options.batch, options.max - puts.length);
      puts.push(...(await putItems(kinesis, stream, options.prefix, puts.length, batch)));
      for (const waiter of waiters.filter((w) => puts.length >= w.n)) waiter.resolve();
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
    }
  })();
  return {
    get count() {
      return puts.length;
    },
    reached(n: number): Promise<void> {
      if (puts.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        waiters.push({ n, resolve });
        loop.then(() => (puts.length >= n ? resolve() : reject(new Error(`producer stopped at ${puts.length} < ${n}`))), reject);
      });
    },
    async stop() {
      stopped = true;
      await loop;
      return puts;
    },
  };
}

/** Every put record delivered exactly once, with the shard and sequence number the service reported. */
export function expectExactlyOnce(puts: readonly Put[], delivered: ReadonlyArray<ConsumerRecord<Item>>): void {
  const ids = delivered.map((r) => r.data.id);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  expect(duplicates, "records delivered twice").toEqual([]);
  expectAtLeastOnce(puts, delivered);
  expect(delivered.length).toBe(puts.length);
}

/** Every put record delivered, from the right shard at the right sequence number. */
export function expectAtLeastOnce(puts: readonly Put[], delivered: ReadonlyArray<ConsumerRecord<Item>>): void {
  const byId = new Map(delivered.map((r) => [r.data.id, r]));
  const missing = puts.filter((p) => !byId.has(p.id)).map((p) => p.id);
  expect(missing, "records never delivered").toEqual([]);
  for (const put of puts) {
    const got = byId.get(put.id)!;
    expect({ id: put.id, shardId: got.shardId, sequenceNumber: got.sequenceNumber }).toEqual({
      id: put.id,
      shardId: put.shardId,
      sequenceNumber: put.sequenceNumber,
    });
  }
}

/** Within each shard, first deliveries come in strictly increasing sequence order. */
export function expectShardOrder(delivered: ReadonlyArray<ConsumerRecord<Item>>): void {
  const seen = new Set<string>();
  const lastByShard = new Map<string, bigint>();
  for (const record of delivered) {
    if (seen.has(record.data.id)) continue;
    seen.add(record.data.id);
    const sequence = BigInt(record.sequenceNumber);
    const last = lastByShard.get(record.shardId);
    if (last !== undefined && sequence <= last) {
      expect.fail(`${record.shardId}: ${record.sequenceNumber} delivered after ${last}`);
    }
    lastByShard.set(record.shardId, sequence);
  }
}

/**
 * No record of a child shard is delivered before the last delivered record of each of its parents
 * (both, for a merge). Returns how many parent/child pairs were checked with records on both sides.
 */
export function expectChildrenAfterParents(shards: readonly Shard[], delivered: ReadonlyArray<ConsumerRecord<Item>>): number {
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  delivered.forEach((record, index) => {
    if (!first.has(record.shardId)) first.set(record.shardId, index);
    last.set(record.shardId, index);
  });
  let checked = 0;
  for (const shard of shards) {
    const childFirst = first.get(shard.shardId);
    if (childFirst === undefined) continue;
    for (const parent of [shard.parentShardId, shard.adjacentParentShardId]) {
      if (parent === undefined) continue;
      const parentLast = last.get(parent);
      if (parentLast === undefined) continue;
      checked++;
      if (parentLast > childFirst) {
        expect.fail(`${shard.shardId}'s first record (#${childFirst}) came before ${parent}'s last record (#${parentLast})`);
      }
    }
  }
  return checked;
}

/** Collect records until iteration ends (idle timeout, close or error). */
export async function collectRecords<T>(
  iterable: AsyncIterable<ConsumerRecord<T>>,
  onRecord?: (record: ConsumerRecord<T>) => void | Promise<void>,
): Promise<Array<ConsumerRecord<T>>> {
  const out: Array<ConsumerRecord<T>> = [];
  for await (const record of iterable) {
    out.push(record);
    await onRecord?.(record);
  }
  return out;
}
