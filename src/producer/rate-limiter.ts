/**
 * Per-shard token buckets for the two PutRecords write limits (records/s and bytes/s per shard).
 * Each bucket holds at most one second's worth, refills continuously, and is pure: time is passed in.
 *
 * A shard can also be blocked until a moment (after the service throttled it, or after transient
 * failures): its records then wait instead of being sent into a shard that is known to refuse them.
 */
export interface RateLimits {
  recordsPerSecond: number;
  bytesPerSecond: number;
}

interface Bucket {
  records: number;
  bytes: number;
  updatedAt: number;
  blockedUntil: number;
}

export class ShardRateLimiter {
  readonly limits: RateLimits;
  readonly #buckets = new Map<string, Bucket>();

  constructor(limits: RateLimits) {
    this.limits = limits;
  }

  /**
   * Take `records` and `bytes` from the shard's buckets if they are there now. A single request larger
   * than a full bucket is let through when the bucket is full (then the bucket goes negative and the
   * shard waits it off), so a record bigger than the per-second budget is slow, never stuck.
   */
  tryTake(shardId: string, records: number, bytes: number, now: number): boolean {
    const bucket = this.#refill(shardId, now);
    if (now < bucket.blockedUntil) return false;
    if (bucket.records < Math.min(records, this.limits.recordsPerSecond)) return false;
    if (bucket.bytes < Math.min(bytes, this.limits.bytesPerSecond)) return false;
    bucket.records -= records;
    bucket.bytes -= bytes;
    return true;
  }

  /** Milliseconds from `now` until `tryTake(shardId, records, bytes)` would succeed. */
  delayFor(shardId: string, records: number, bytes: number, now: number): number {
    const bucket = this.#refill(shardId, now);
    const recordsShort = Math.min(records, this.limits.recordsPerSecond) - bucket.records;
    const bytesShort = Math.min(bytes, this.limits.bytesPerSecond) - bucket.bytes;
    const refillMs = Math.max(
      recordsShort > 0 ? (recordsShort / this.limits.recordsPerSecond) * 1000 : 0,
      bytesShort > 0 ? (bytesShort / this.limits.bytesPerSecond) * 1000 : 0,
    );
    return Math.max(Math.ceil(refillMs), bucket.blockedUntil - now, 0);
  }

  /** Hold the shard's records back until `until` (ms since epoch); never shortens an existing block. */
  block(shardId: string, until: number, now: number): void {
    const bucket = this.#refill(shardId, now);
    if (until > bucket.blockedUntil) bucket.blockedUntil = until;
  }

  /**
   * The service throttled this shard: its budget was not what we thought (another writer, or a
   * hot key), so empty the buckets as well as blocking, and the shard restarts slowly.
   */
  throttled(shardId: string, until: number, now: number): void {
    const bucket = this.#refill(shardId, now);
    bucket.records = Math.min(bucket.records, 0);
    bucket.bytes = Math.min(bucket.bytes, 0);
    this.block(shardId, until, now);
  }

  /** Forget shards that are no longer open (after a reshard), so the map does not grow forever. */
  retain(openShardIds: ReadonlySet<string>): void {
    for (const shardId of this.#buckets.keys()) if (!openShardIds.has(shardId)) this.#buckets.delete(shardId);
  }

  #refill(shardId: string, now: number): Bucket {
    const { recordsPerSecond, bytesPerSecond } = this.limits;
    let bucket = this.#buckets.get(shardId);
    if (bucket === undefined) {
      bucket = { records: recordsPerSecond, bytes: bytesPerSecond, updatedAt: now, blockedUntil: 0 };
      this.#buckets.set(shardId, bucket);
      return bucket;
    }
    const elapsed = now - bucket.updatedAt;
    if (elapsed > 0) {
      bucket.records = Math.min(recordsPerSecond, bucket.records + (elapsed / 1000) * recordsPerSecond);
      bucket.bytes = Math.min(bytesPerSecond, bucket.bytes + (elapsed / 1000) * bytesPerSecond);
      bucket.updatedAt = now;
    }
    return bucket;
  }
}
