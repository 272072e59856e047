/**
 * The chaos run's split and merge, straight on the server (resharding is the operator's act, not
 * under test). `pick` (in [0, 1), from the seeded schedule) chooses among the candidates, ordered by
 * hash range so the choice does not depend on listing order.
 */
import type { KinesisClient } from "../../src/kinesis/client.ts";
import type { Shard } from "../../src/kinesis/types.ts";

async function openShards(kinesis: KinesisClient, stream: string): Promise<Shard[]> {
  const shards = await kinesis.listShards(stream);
  return shards
    .filter((s) => s.sequenceNumberRange.endingSequenceNumber === undefined)
    .sort((a, b) => (BigInt(a.hashKeyRange.startingHashKey) < BigInt(b.hashKeyRange.startingHashKey) ? -1 : 1));
}

function choose<T>(items: readonly T[], pick: number, what: string): T {
  const item = items[Math.floor(pick * items.length)];
  if (item === undefined) throw new Error(`no ${what} to choose from`);
  return item;
}

/** Split one open shard at the middle of its hash range; returns what was done. */
export async function splitOne(kinesis: KinesisClient, stream: string, pick: number): Promise<string> {
  const shard = choose(await openShards(kinesis, stream), pick, "open shard");
  const start = BigInt(shard.hashKeyRange.startingHashKey);
  const end = BigInt(shard.hashKeyRange.endingHashKey);
  await kinesis.splitShard(stream, shard.shardId, ((start + end + 1n) / 2n).toString());
  await kinesis.waitForActive(stream, { pollInterval: 0.05, timeout: 30 });
  return `split ${shard.shardId}`;
}

/** Merge two open shards whose hash ranges touch; returns what was done. */
export async function mergeAdjacent(kinesis: KinesisClient, stream: string, pick: number): Promise<string> {
  const open = await openShards(kinesis, stream);
  const pairs: Array<[Shard, Shard]> = [];
  for (let i = 1; i < open.length; i++) {
    const [a, b] = [open[i - 1]!, open[i]!];
    if (BigInt(a.hashKeyRange.endingHashKey) + 1n === BigInt(b.hashKeyRange.startingHashKey)) pairs.push([a, b]);
  }
  const [a, b] = choose(pairs, pick, "pair of adjacent open shards");
  await kinesis.mergeShards(stream, a.shardId, b.shardId);
  await kinesis.waitForActive(stream, { pollInterval: 0.05, timeout: 30 });
  return `merge ${a.shardId} + ${b.shardId}`;
}
