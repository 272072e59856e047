import type { KinesisClient } from "../kinesis/client.ts";
import { ShardMap } from "./shard-map.ts";

export interface StreamFacts {
  /** The largest record the stream accepts, data plus partition key. */
  maxRecordBytes: number;
  map: ShardMap;
}

/**
 * What the producer needs before it can accept an item: the stream's record size limit (1 MiB unless
 * the stream allows more) and its open shards. A stream still being created is waited for.
 */
export async function lookUpStream(client: KinesisClient, streamName: string, signal: AbortSignal | undefined): Promise<StreamFacts> {
  const call = signal === undefined ? {} : { signal };
  let summary = await client.describeStreamSummary(streamName, call);
  if (summary.streamStatus === "CREATING") summary = await client.waitForActive(streamName, call);
  const map = await loadShardMap(client, streamName, signal);
  return { maxRecordBytes: summary.maxRecordSizeKiB * 1024, map };
}

export async function loadShardMap(client: KinesisClient, streamName: string, signal: AbortSignal | undefined): Promise<ShardMap> {
  return new ShardMap(await client.listShards(streamName, signal === undefined ? {} : { signal }));
}
