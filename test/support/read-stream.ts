import type { KinesisClient } from "../../src/kinesis/client.ts";
import type { KinesisRecord } from "../../src/kinesis/types.ts";

export interface StoredRecord extends KinesisRecord {
  shardId: string;
}

/**
 * Every record in every shard of a stream (open and closed), read from TRIM_HORIZON with our client,
 * shard by shard in ListShards order and in sequence order within a shard.
 */
export async function readAllRecords(kinesis: KinesisClient, stream: string): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  for (const shard of await kinesis.listShards(stream)) {
    let iterator: string | undefined = await kinesis.getShardIterator(stream, shard.shardId, "TRIM_HORIZON");
    while (iterator !== undefined) {
      const page = await kinesis.getRecords(iterator, 10_000);
      for (const record of page.records) out.push({ ...record, shardId: shard.shardId });
      // An open shard never ends: stop at the first empty page, which means we are at the tip.
      if (page.records.length === 0) break;
      iterator = page.nextShardIterator;
    }
  }
  return out;
}
