import { deaggregate } from "../aggregation/kpl.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import type { QueuedRecord, UserRecord } from "./queued-record.ts";
import type { ShardRateLimiter } from "./rate-limiter.ts";
import { type ShardBuffers, UNMAPPED } from "./shard-buffers.ts";
import type { ShardMap } from "./shard-map.ts";
import { loadShardMap } from "./stream-lookup.ts";

/** Least time between two ListShards refreshes, so a reshard in progress is not polled in a loop. */
export const MIN_REFRESH_INTERVAL_MS = 1000;

export interface ReshardWatchDeps {
  client: KinesisClient;
  streamName: string;
  signal: AbortSignal;
  buffers: ShardBuffers;
  limiter: ShardRateLimiter;
  now(): number;
  /** False once the producer failed or stopped: a late refresh then changes nothing. */
  active(): boolean;
  /** Items are done (delivered when `failure` is undefined). */
  settle(items: readonly UserRecord[], generation: number, failure: { code: string; message: string } | undefined, attempts: number): void;
  /** The map changed or a refresh ended: the producer should look at its buffers again. */
  changed(): void;
}

/**
 * Keeps the shard map current. The stream has resharded when a record lands on a shard the map did
 * not predict, or when a hash key has no open shard; then ListShards is read again (at most once a
 * second) and the buffers are re-routed.
 *
 * A KPL aggregate built with the old map may hold items of two new shards, and KPL consumers (the KCL,
 * ours with `kplHashRangeCheck: "drop"`) drop sub-records outside the shard they are read from. So such
 * an aggregate is held unsettled until the new map says which of its items lie outside the shard it
 * landed on, and those are sent again. Other aggregates (JSON lines, lists, netstrings) are delivered
 * whole by every consumer, wherever they land: sending their items again would duplicate them.
 */
export class ReshardWatch {
  readonly #deps: ReshardWatchDeps;
  #wanted = false;
  #refreshing = false;
  #lastRefreshAt: number;
  #misrouted: Array<{ record: QueuedRecord; shardId: string }> = [];

  constructor(deps: ReshardWatchDeps, now: number) {
    this.#deps = deps;
    this.#lastRefreshAt = now;
  }

  /**
   * A record was stored on `shardId`. Returns true when its settlement is deferred to the next map
   * refresh (an aggregate that landed on an unexpected shard); the caller settles it otherwise.
   */
  landed(record: QueuedRecord, shardId: string | undefined): boolean {
    if (shardId === undefined || shardId === record.shardId) return false;
    this.#wanted = true;
    if (record.items.length <= 1 || !consumersDropStrays(record)) return false;
    this.#misrouted.push({ record, shardId });
    return true;
  }

  /** When the pump should come back to start a wanted refresh, or undefined. */
  nextRefreshAt(): number | undefined {
    return this.#wanted && !this.#refreshing ? this.#lastRefreshAt + MIN_REFRESH_INTERVAL_MS : undefined;
  }

  /** Start a refresh if one is wanted and allowed now. */
  poll(now: number): void {
    const unmapped = this.#deps.buffers.lane(UNMAPPED);
    if (unmapped !== undefined && (unmapped.queue.size > 0 || unmapped.held.length > 0)) this.#wanted = true;
    if (!this.#wanted || this.#refreshing || now - this.#lastRefreshAt < MIN_REFRESH_INTERVAL_MS) return;
    this.#wanted = false;
    this.#refreshing = true;
    this.#lastRefreshAt = now;
    const { client, streamName, signal } = this.#deps;
    loadShardMap(client, streamName, signal)
      .then(
        (map) => {
          if (map.size === 0 || !this.#deps.active()) return;
          this.#apply(map, this.#deps.now());
        },
        () => {
          // Keep the old map and try again later; sending goes on meanwhile (Kinesis routes by hash).
          this.#wanted = true;
        },
      )
      .finally(() => {
        this.#refreshing = false;
        this.#deps.changed();
      });
  }

  /** Settle held aggregates as they are (the producer stops; no refresh will check them). */
  releaseHeld(): void {
    const misrouted = this.#misrouted;
    this.#misrouted = [];
    for (const { record } of misrouted) this.#deps.settle(record.items, record.generation, undefined, record.attempts);
  }

  #apply(map: ShardMap, now: number): void {
    const { buffers, limiter } = this.#deps;
    buffers.setMap(map, now);
    limiter.retain(new Set(map.ranges.map((range) => range.shardId)));
    const misrouted = this.#misrouted;
    this.#misrouted = [];
    for (const { record, shardId } of misrouted) {
      const range = map.rangeOf(shardId);
      const strays = range === undefined ? [] : record.items.filter((item) => {
        const hash = buffers.hashKeys.ofItem(item);
        return hash < range.start || hash > range.end;
      });
      const kept = strays.length === 0 ? record.items : record.items.filter((item) => !strays.includes(item));
      this.#deps.settle(kept, record.generation, undefined, record.attempts);
      for (const item of strays) {
        try {
          buffers.add(item, record.generation, now);
        } catch (error) {
          const { name, message } = error as Error;
          this.#deps.settle([item], record.generation, { code: name, message }, record.attempts);
        }
      }
    }
  }
}

/**
 * Whether consumers filter this record's items by hash range: only a KPL aggregated record, recognised
 * as consumers recognise one (magic and MD5 both check), so a processor of any name is judged by what
 * it wrote. Checked only for records that landed on an unexpected shard, which is rare.
 */
function consumersDropStrays(record: QueuedRecord): boolean {
  return deaggregate(record.data) !== undefined;
}
