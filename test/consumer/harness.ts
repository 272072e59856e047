/**
 * Helpers shared by the consumer test files: a consumer on the local kinesalite, collecting, and
 * hash-range arithmetic done with node:crypto (an oracle independent of src/aggregation/md5.ts).
 */
import { createHash } from "node:crypto";
import { inject } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerOptions } from "../../src/consumer/options.ts";
import type { Shard } from "../../src/kinesis/types.ts";
import { localKinesis, testCredentials } from "../support/clients.ts";

export function localConsumer<T>(streamName: string, extra: Partial<ConsumerOptions<T>> = {}): Consumer<T> {
  return new Consumer<T>({
    streamName,
    endpoint: inject("kinesisEndpoint"),
    region: "us-east-1",
    credentials: testCredentials,
    idleTimeout: 1.5,
    shardFetchRate: 5,
    ...extra,
  });
}

export async function collect<T>(iterable: AsyncIterable<T>, limit = Number.POSITIVE_INFINITY): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return out;
  for await (const item of iterable) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

/** Kinesis puts a record on the shard whose range holds the MD5 of its partition key (big-endian). */
export function md5Hash(partitionKey: string): bigint {
  return BigInt(`0x${createHash("md5").update(partitionKey, "utf8").digest("hex")}`);
}

export function inRange(hash: bigint, shard: Shard): boolean {
  return BigInt(shard.hashKeyRange.startingHashKey) <= hash && hash <= BigInt(shard.hashKeyRange.endingHashKey);
}

export function shardOfHash(hash: bigint, shards: readonly Shard[]): Shard {
  const shard = shards.find((s) => inRange(hash, s));
  if (shard === undefined) throw new Error(`no shard holds hash ${hash}`);
  return shard;
}

/** Open shards only (a split leaves its parent listed but closed). */
export async function openShards(streamName: string): Promise<Shard[]> {
  const shards = await localKinesis().listShards(streamName);
  return shards.filter((s) => s.sequenceNumberRange.endingSequenceNumber === undefined);
}

/** A partition key whose MD5 lands in `shard`, different for each `n`. */
export function keyOnShard(shard: Shard, prefix: string, n = 0): string {
  let found = 0;
  for (let i = 0; i < 100_000; i++) {
    const key = `${prefix}-${i}`;
    if (inRange(md5Hash(key), shard) && found++ === n) return key;
  }
  throw new Error(`no key found for ${shard.shardId}`);
}

/** An explicit hash key inside `shard`, `fraction` of the way through its range. */
export function hashKeyIn(shard: Shard, fraction = 0.5): string {
  const start = BigInt(shard.hashKeyRange.startingHashKey);
  const end = BigInt(shard.hashKeyRange.endingHashKey);
  const step = BigInt(Math.round(fraction * 1_000_000));
  return (start + ((end - start) * step) / 1_000_000n).toString();
}

/** Poll `condition` every 20 ms until it holds; throws with `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
