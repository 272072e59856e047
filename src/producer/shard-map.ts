import type { Shard } from "../kinesis/types.ts";

/** One open shard's slice of the 128-bit hash-key ring. */
export interface ShardRange {
  shardId: string;
  start: bigint;
  end: bigint;
}

/**
 * Which open shard a hash key lands on (Kinesis maps a record to the open shard whose
 * `HashKeyRange` holds MD5(partition key), or its explicit hash key). Built from ListShards; closed
 * shards (those with an ending sequence number) take no writes and are left out.
 */
export class ShardMap {
  /** The open shards, in hash-key order. */
  readonly ranges: readonly ShardRange[];
  readonly #starts: bigint[];
  /** Every shard listed, closed ones included. */
  readonly #all: ReadonlyMap<string, ShardRange>;

  constructor(shards: readonly Shard[]) {
    const all = shards.map((shard) => ({
      shardId: shard.shardId,
      start: BigInt(shard.hashKeyRange.startingHashKey),
      end: BigInt(shard.hashKeyRange.endingHashKey),
      open: shard.sequenceNumberRange.endingSequenceNumber === undefined,
    }));
    this.#all = new Map(all.map(({ open: _, ...range }) => [range.shardId, range]));
    this.ranges = all
      .filter((range) => range.open)
      .map(({ open: _, ...range }) => range)
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    this.#starts = this.ranges.map((range) => range.start);
  }

  get size(): number {
    return this.ranges.length;
  }

  /** Whether `shardId` is open. */
  has(shardId: string): boolean {
    return this.ranges.some((range) => range.shardId === shardId);
  }

  /** The hash-key range of any listed shard, open or closed. */
  rangeOf(shardId: string): ShardRange | undefined {
    return this.#all.get(shardId);
  }

  /**
   * The open shard holding `hashKey`, or undefined when none does (a gap while the stream reshards, or
   * a stream with no open shard): the caller routes such records to a placeholder and refreshes.
   */
  lookup(hashKey: bigint): ShardRange | undefined {
    const starts = this.#starts;
    let low = 0;
    let high = starts.length - 1;
    // Last range whose start <= hashKey.
    while (low <= high) {
      const mid = (low + high) >> 1;
      if (starts[mid]! <= hashKey) low = mid + 1;
      else high = mid - 1;
    }
    const range = this.ranges[high];
    return range !== undefined && hashKey <= range.end ? range : undefined;
  }
}
