import { RecordTooLargeError } from "../errors.ts";
import { utf8Length } from "../internal/utf8.ts";
import { MAX_HASH_KEY } from "../kinesis/hash-key.ts";
import { SingleItemAggregator } from "../processors/aggregators.ts";
import type { Aggregator, Processor } from "../processors/types.ts";
import { HashKeys } from "./hash-keys.ts";
import { type QueuedRecord, RecordDeque, type UserRecord } from "./queued-record.ts";
import type { ShardMap } from "./shard-map.ts";

/** The lane for hash keys no open shard covers (mid-reshard): sent anyway, and the map is refreshed. */
export const UNMAPPED = "(unmapped)";

/** Everything buffered for one shard: an aggregator filling up, and records ready to send. */
export interface Lane {
  readonly shardId: string;
  readonly queue: RecordDeque;
  /** PutRecords requests in flight that carry records of this lane (ordered mode allows one). */
  inFlight: number;
  aggregator: Aggregator | undefined;
  /** The partition-key length `aggregator` was sized for. */
  aggregatorKeyBytes: number;
  /** The user items inside `aggregator`, in order. */
  held: UserRecord[];
  heldGeneration: number;
  /** When the first held item was accepted (ms). */
  heldSince: number;
}

/** Items that could not be turned into a sendable record after they were accepted. */
export interface RejectedItems {
  items: readonly UserRecord[];
  generation: number;
  error: Error;
}

/**
 * Routes accepted items to per-shard lanes and packs them with one aggregator per shard, so that an
 * aggregated record only ever holds items bound for one shard (KPL consumers drop sub-records outside
 * their shard's hash range). Pure: time is passed in, nothing is sent.
 */
export class ShardBuffers {
  readonly #processor: Processor;
  readonly #maxRecordBytes: number;
  readonly #bufferTimeMs: number;
  readonly hashKeys = new HashKeys();
  #map: ShardMap;
  /** The lane of a stream with one open shard: every hash key lands there, so nothing is hashed. */
  #onlyLane: Lane | undefined;
  #lanes = new Map<string, Lane>();
  #laneList: Lane[] = [];
  #nextSeq = 0;
  #rejected: RejectedItems[] = [];
  /** Records (and their bytes) waiting in lane queues, across lanes. */
  queuedRecords = 0;
  queuedBytes = 0;
  /** Items sitting in aggregators. */
  heldItems = 0;

  constructor(processor: Processor, maxRecordBytes: number, bufferTimeMs: number, map: ShardMap) {
    this.#processor = processor;
    this.#maxRecordBytes = maxRecordBytes;
    this.#bufferTimeMs = bufferTimeMs;
    this.#map = map;
    this.#rebuildLanes();
  }

  get map(): ShardMap {
    return this.#map;
  }

  get maxRecordBytes(): number {
    return this.#maxRecordBytes;
  }

  /** Lanes in hash-ring order, the unmapped lane (if any) last. */
  get lanes(): readonly Lane[] {
    return this.#laneList;
  }

  lane(shardId: string): Lane | undefined {
    return this.#lanes.get(shardId);
  }

  /**
   * Add one accepted item. Throws `RecordTooLargeError` (keeping nothing) when the item can never fit
   * in a record. Returns true when the item brought a new buffer-time deadline: it started an aggregate,
   * or (one-item processors) its record is now the only one queued for its shard.
   */
  add(item: UserRecord, generation: number, now: number): boolean {
    const lane = this.#onlyLane ?? this.#laneFor(this.hashKeys.ofItem(item));
    // An aggregator never mixes flush generations, so a flush() can tell exactly which items it covers.
    if (lane.held.length > 0 && lane.heldGeneration !== generation) this.#emit(lane);
    if (lane.held.length === 0) this.#prepareAggregator(lane, item.partitionKey);
    let added: boolean;
    try {
      added = lane.aggregator!.add(item.data, item.partitionKey, item.explicitHashKey);
    } catch (error) {
      // Too large beside the first item's partition key; it may fit alone, with its own key.
      if (!(error instanceof RecordTooLargeError) || lane.held.length === 0) throw error;
      added = false;
    }
    if (!added) {
      // An aggregator must throw for an item that can never fit; do not trust one that does not.
      if (lane.held.length === 0) throw new RecordTooLargeError(this.#maxRecordBytes + 1, this.#maxRecordBytes);
      this.#emit(lane);
      this.#prepareAggregator(lane, item.partitionKey);
      if (!lane.aggregator!.add(item.data, item.partitionKey, item.explicitHashKey)) {
        throw new RecordTooLargeError(this.#maxRecordBytes + 1, this.#maxRecordBytes);
      }
    }
    const started = lane.held.length === 0;
    if (started) {
      lane.heldGeneration = generation;
      lane.heldSince = now;
    }
    // The first item gets an array of exactly one slot (a pushed-to empty array reserves 17): a
    // one-item record keeps it as its `items` for as long as it is queued.
    if (started) lane.held = [item];
    else lane.held.push(item);
    this.heldItems++;
    // An aggregator that takes one item is full now: queue its record at once rather than on the next
    // add (which would first fail to add, then emit). The record's deadline is the same either way,
    // and it is new only when the record heads its queue: behind others, their deadline comes first.
    if (lane.aggregator instanceof SingleItemAggregator) {
      this.#emit(lane);
      return lane.queue.size === 1;
    }
    return started;
  }

  /** Emit the aggregates whose first item has waited `bufferTime` (all of them with `all`). */
  flushAggregators(now: number, all: boolean): void {
    const cutoff = now - this.#bufferTimeMs;
    for (const lane of this.#laneList) {
      if (lane.held.length > 0 && (all || lane.heldSince <= cutoff)) this.#emit(lane);
    }
  }

  /**
   * Nothing is in flight (`sendWhenIdle`): emit the aggregates of lanes with nothing queued, so they
   * go now. A lane with records queued is waiting for its rate budget; its aggregate keeps filling.
   */
  emitIdleAggregates(): void {
    if (this.heldItems === 0) return;
    for (const lane of this.#laneList) if (lane.held.length > 0 && lane.queue.size === 0) this.#emit(lane);
  }

  /** When the oldest aggregate is due to be emitted, or undefined when none is held. */
  nextAggregateDue(): number | undefined {
    if (this.heldItems === 0) return undefined;
    let soonest = Number.POSITIVE_INFINITY;
    for (const lane of this.#laneList) if (lane.held.length > 0 && lane.heldSince < soonest) soonest = lane.heldSince;
    return soonest + this.#bufferTimeMs;
  }

  /** Items accepted that could not become records (found while aggregating); handed over once. */
  takeRejected(): RejectedItems[] {
    const rejected = this.#rejected;
    if (rejected.length > 0) this.#rejected = [];
    return rejected;
  }

  /** Records the batcher took out of lane queues: keep the totals right. */
  noteTaken(records: readonly QueuedRecord[]): void {
    for (const record of records) {
      this.queuedRecords--;
      this.queuedBytes -= record.bytes;
    }
  }

  /** Put records that must be sent again back into their (current) lanes, in creation order. */
  requeue(records: readonly QueuedRecord[]): void {
    const byLane = new Map<Lane, QueuedRecord[]>();
    for (const record of records) {
      const lane = this.#onlyLane ?? this.#laneFor(this.hashKeys.ofRecord(record));
      record.shardId = lane.shardId;
      const list = byLane.get(lane);
      if (list === undefined) byLane.set(lane, [record]);
      else list.push(record);
      this.queuedRecords++;
      this.queuedBytes += record.bytes;
    }
    for (const [lane, list] of byLane) lane.queue.requeue(list);
  }

  /** Remove every held and queued item (the producer failed); returns them by generation. */
  drainAll(): Array<{ items: readonly UserRecord[]; generation: number; attempts: number }> {
    const out: Array<{ items: readonly UserRecord[]; generation: number; attempts: number }> = [];
    for (const lane of this.#laneList) {
      for (const record of lane.queue.drain()) out.push({ items: record.items, generation: record.generation, attempts: record.attempts });
      if (lane.held.length > 0) out.push({ items: lane.held, generation: lane.heldGeneration, attempts: 0 });
      this.heldItems -= lane.held.length;
      lane.held = [];
      lane.aggregator = undefined;
      lane.aggregatorKeyBytes = -1;
    }
    this.queuedRecords = 0;
    this.queuedBytes = 0;
    return out;
  }

  /**
   * Switch to a new shard map (the stream resharded). Lanes of shards that closed are emptied and their
   * items routed and aggregated again, in their original order, so no aggregate straddles two of the
   * new shards and per-key order survives the move.
   */
  setMap(map: ShardMap, now: number): void {
    const gone = this.#laneList.filter((lane) => lane.shardId === UNMAPPED || !map.has(lane.shardId));
    for (const lane of gone) if (lane.held.length > 0) this.#emit(lane);
    this.#map = map;
    for (const lane of gone) this.#lanes.delete(lane.shardId);
    this.#rebuildLanes();
    const moved = gone.flatMap((lane) => lane.queue.drain()).sort((a, b) => a.seq - b.seq);
    this.noteTaken(moved);
    for (const record of moved) {
      for (const item of record.items) {
        try {
          this.add(item, record.generation, now);
        } catch (error) {
          this.#rejected.push({ items: [item], generation: record.generation, error: error as Error });
        }
      }
    }
    this.flushAggregators(now, true);
  }

  /**
   * Give an empty lane an aggregator sized for the record it will become. The record's partition key
   * counts against the record limit and an aggregated record takes its first item's key, so the payload
   * gets what that key leaves. An empty aggregator sized for a key of the same length is reused.
   */
  #prepareAggregator(lane: Lane, firstPartitionKey: string): void {
    const keyBytes = utf8Length(firstPartitionKey);
    if (lane.aggregator !== undefined && lane.aggregatorKeyBytes === keyBytes) return;
    lane.aggregator = this.#processor.aggregator(this.#maxRecordBytes - keyBytes);
    lane.aggregatorKeyBytes = keyBytes;
  }

  /** Flush a lane's aggregator into its queue as one record. */
  #emit(lane: Lane): void {
    const items = lane.held;
    const generation = lane.heldGeneration;
    const out = lane.aggregator?.flush();
    lane.held = [];
    this.heldItems -= items.length;
    if (out === undefined || items.length === 0) return;
    const first = items[0]!;
    // The aggregator was sized for its first item's key, which is the record's key unless the processor chose another.
    const keyBytes = out.partitionKey === first.partitionKey && lane.aggregatorKeyBytes >= 0 ? lane.aggregatorKeyBytes : utf8Length(out.partitionKey);
    const bytes = out.data.byteLength + keyBytes;
    if (bytes > this.#maxRecordBytes) {
      this.#rejected.push({ items, generation, error: new RecordTooLargeError(bytes, this.#maxRecordBytes) });
      return;
    }
    let hashKey: bigint | undefined;
    let explicitHashKey = out.explicitHashKey;
    if (items.length > 1) {
      // Pin the aggregate to its first item's point on the ring: inside this lane's shard by construction.
      hashKey = this.hashKeys.ofItem(first);
      explicitHashKey = hashKey.toString();
    }
    const record: QueuedRecord = {
      seq: this.#nextSeq++,
      data: out.data,
      partitionKey: out.partitionKey,
      explicitHashKey,
      bytes,
      hashKey,
      shardId: lane.shardId,
      items,
      generation,
      dueAt: lane.heldSince + this.#bufferTimeMs,
      attempts: 0,
    };
    lane.queue.push(record);
    this.queuedRecords++;
    this.queuedBytes += bytes;
  }

  #laneFor(hashKey: bigint): Lane {
    const shardId = this.#map.lookup(hashKey)?.shardId ?? UNMAPPED;
    let lane = this.#lanes.get(shardId);
    if (lane === undefined) {
      lane = newLane(shardId);
      this.#lanes.set(shardId, lane);
      this.#rebuildLanes();
    }
    return lane;
  }

  #rebuildLanes(): void {
    const order = new Map(this.#map.ranges.map((range, index) => [range.shardId, index]));
    for (const range of this.#map.ranges) if (!this.#lanes.has(range.shardId)) this.#lanes.set(range.shardId, newLane(range.shardId));
    this.#laneList = [...this.#lanes.values()].sort(
      (a, b) => (order.get(a.shardId) ?? Number.MAX_SAFE_INTEGER) - (order.get(b.shardId) ?? Number.MAX_SAFE_INTEGER),
    );
    const [only, ...others] = this.#map.ranges;
    this.#onlyLane = only !== undefined && others.length === 0 && only.start === 0n && only.end === MAX_HASH_KEY ? this.#lanes.get(only.shardId) : undefined;
  }
}

function newLane(shardId: string): Lane {
  return {
    shardId,
    queue: new RecordDeque(),
    inFlight: 0,
    aggregator: undefined,
    aggregatorKeyBytes: -1,
    held: [],
    heldGeneration: 0,
    heldSince: 0,
  };
}
