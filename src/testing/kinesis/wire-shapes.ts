import type { Json } from "../wire.ts";
import type { FakeShard } from "./stream-state.ts";

/** A shard in ListShards' wire shape. */
export function wireShard(s: FakeShard): Json {
  const shard: Json = {
    ShardId: s.shardId,
    HashKeyRange: { StartingHashKey: String(s.startingHashKey), EndingHashKey: String(s.endingHashKey) },
    SequenceNumberRange: s.endingSequenceNumber === undefined
      ? { StartingSequenceNumber: s.startingSequenceNumber }
      : { StartingSequenceNumber: s.startingSequenceNumber, EndingSequenceNumber: s.endingSequenceNumber },
  };
  if (s.parentShardId !== undefined) shard["ParentShardId"] = s.parentShardId;
  if (s.adjacentParentShardId !== undefined) shard["AdjacentParentShardId"] = s.adjacentParentShardId;
  return shard;
}
