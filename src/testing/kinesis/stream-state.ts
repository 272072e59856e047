import { partitionKeyHash } from "../../aggregation/md5.ts";
import { MAX_HASH_KEY } from "../../kinesis/hash-key.ts";
import { FakeAwsError, invalid } from "../wire.ts";

/** One stored record, as the fake keeps it (data already base64, as it travels). */
export interface StoredRecord {
  sequenceNumber: string;
  data: string;
  partitionKey: string;
  /** Epoch milliseconds. */
  arrivedAt: number;
}

export interface FakeShard {
  shardId: string;
  parentShardId?: string;
  adjacentParentShardId?: string;
  startingHashKey: bigint;
  endingHashKey: bigint;
  startingSequenceNumber: string;
  /** Set when the shard is closed by a split or merge. */
  endingSequenceNumber?: string;
  records: StoredRecord[];
}

export { MAX_HASH_KEY };
/** Sequence numbers look like AWS's (56 decimal digits) and only ever grow within a stream. */
let incarnations = 0;
const SEQUENCE_BASE = 49_000_000_000_000_000_000_000_000n * 10n ** 29n;

/**
 * One stream: its shards (open and closed), routing by hash key, and resharding. Pure state, no I/O;
 * the wire layer (`fake-kinesis.ts`) and the admin API both act on it.
 */
export class StreamState {
  readonly shards: FakeShard[] = [];
  readonly arn: string;
  /** Unique per stream ever created (two created in one millisecond still differ), for iterators. */
  readonly incarnation: number = ++incarnations;
  /** Told after every record put and every shard closed: what SubscribeToShard pushes on, with no timer. */
  readonly listeners = new Set<() => void>();
  #sequence = 0n;
  #nextShardIndex = 0;

  constructor(
    readonly name: string,
    shardCount: number,
    /** Epoch milliseconds. */
    readonly createdAt: number,
    readonly region: string,
  ) {
    if (!Number.isInteger(shardCount) || shardCount < 1) throw invalid(`ShardCount must be a positive integer, got ${shardCount}`);
    this.arn = `arn:aws:kinesis:${region}:000000000000:stream/${name}`;
    const width = (MAX_HASH_KEY + 1n) / BigInt(shardCount);
    for (let i = 0; i < shardCount; i++) {
      const start = width * BigInt(i);
      const end = i === shardCount - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n;
      this.#addShard(start, end, {});
    }
  }

  get openShards(): FakeShard[] {
    return this.shards.filter((s) => s.endingSequenceNumber === undefined);
  }

  shard(shardId: string): FakeShard {
    const shard = this.shards.find((s) => s.shardId === shardId);
    if (shard === undefined) {
      throw new FakeAwsError("ResourceNotFoundException", `Shard ${shardId} in stream ${this.name} under account 000000000000 does not exist`);
    }
    return shard;
  }

  /** Route by `explicitHashKey` when given, else by the MD5 of the partition key; append; return where it went. */
  append(data: string, partitionKey: string, explicitHashKey: string | undefined, now: number): { shardId: string; sequenceNumber: string } {
    if (partitionKey.length < 1 || partitionKey.length > 256) throw invalid("PartitionKey must be 1 to 256 characters");
    const hash = explicitHashKey === undefined ? partitionKeyHash(partitionKey) : parseHashKey(explicitHashKey, "ExplicitHashKey");
    const shard = this.openShards.find((s) => s.startingHashKey <= hash && hash <= s.endingHashKey);
    if (shard === undefined) throw new FakeAwsError("InternalFailure", `no open shard holds hash key ${hash}`, 500);
    const sequenceNumber = this.#nextSequence();
    shard.records.push({ sequenceNumber, data, partitionKey, arrivedAt: now });
    this.#changed();
    return { shardId: shard.shardId, sequenceNumber };
  }

  /** Close `shardId` and open two children split at `newStartingHashKey` (default: the middle). */
  split(shardId: string, newStartingHashKey?: string): [FakeShard, FakeShard] {
    const parent = this.#openShard(shardId);
    const at = newStartingHashKey === undefined
      ? parent.startingHashKey + (parent.endingHashKey - parent.startingHashKey + 1n) / 2n
      : parseHashKey(newStartingHashKey, "NewStartingHashKey");
    if (at <= parent.startingHashKey || at > parent.endingHashKey) {
      throw invalid(`NewStartingHashKey ${at} must lie inside ${parent.shardId}'s range and above its starting key`);
    }
    this.#close(parent);
    return [
      this.#addShard(parent.startingHashKey, at - 1n, { parentShardId: parent.shardId }),
      this.#addShard(at, parent.endingHashKey, { parentShardId: parent.shardId }),
    ];
  }

  /** Close two adjacent open shards and open their child, whose parents are `shardId` and `adjacentShardId`. */
  merge(shardId: string, adjacentShardId: string): FakeShard {
    const a = this.#openShard(shardId);
    const b = this.#openShard(adjacentShardId);
    if (a.endingHashKey + 1n !== b.startingHashKey && b.endingHashKey + 1n !== a.startingHashKey) {
      throw invalid(`Shards ${shardId} and ${adjacentShardId} are not adjacent`);
    }
    this.#close(a);
    this.#close(b);
    const start = a.startingHashKey < b.startingHashKey ? a.startingHashKey : b.startingHashKey;
    const end = a.endingHashKey > b.endingHashKey ? a.endingHashKey : b.endingHashKey;
    return this.#addShard(start, end, { parentShardId: a.shardId, adjacentParentShardId: b.shardId });
  }

  #openShard(shardId: string): FakeShard {
    const shard = this.shard(shardId);
    if (shard.endingSequenceNumber !== undefined) throw new FakeAwsError("ResourceInUseException", `Shard ${shardId} is closed`);
    return shard;
  }

  #close(shard: FakeShard): void {
    shard.endingSequenceNumber = this.#nextSequence();
    this.#changed();
  }

  #changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  #addShard(start: bigint, end: bigint, parents: { parentShardId?: string; adjacentParentShardId?: string }): FakeShard {
    const shard: FakeShard = {
      shardId: `shardId-${String(this.#nextShardIndex++).padStart(12, "0")}`,
      ...parents,
      startingHashKey: start,
      endingHashKey: end,
      startingSequenceNumber: this.#nextSequence(),
      records: [],
    };
    this.shards.push(shard);
    return shard;
  }

  #nextSequence(): string {
    this.#sequence += 1n;
    return String(SEQUENCE_BASE + this.#sequence * 1000n);
  }
}

function parseHashKey(text: string, field: string): bigint {
  if (!/^\d{1,39}$/.test(text)) throw invalid(`${field} must be a decimal integer`);
  const value = BigInt(text);
  if (value > MAX_HASH_KEY) throw invalid(`${field} must be at most 2^128 - 1`);
  return value;
}
