import * as v from "valibot";
import { clockOption, parseOptions } from "../../config/validate.ts";
import { type Clock, systemClock } from "../../internal/clock.ts";
import { leaseOptionEntries, type LeaseOptions, resolveLeaseOptions } from "../lease/lease-options.ts";
import { RowStoreLeaseBackend } from "../lease/row-store.ts";
import { type CheckpointListing, LeaseStore, OpenSessions, sessionScope, toListings } from "../lease/store-base.ts";
import { decodeStoredRow } from "../lease/stored-row.ts";
import type { CheckpointScope, CheckpointSession } from "../types.ts";
import { type DenoKvLike, DenoKvRows, isDenoKvLike } from "./kv.ts";

export type { DenoKvAtomicLike, DenoKvLike, KvKeyLike } from "./kv.ts";

/** Options of `DenoKvCheckPointer`: the lease settings of the other stores, and the KV to use. */
export interface DenoKvCheckPointerOptions extends LeaseOptions {
  /** An open `Deno.Kv` (`await Deno.openKv()`); the checkpointer never closes it. */
  kv: DenoKvLike;
  /** First part of every key (default `async-kinesis`): keys are `[keyPrefix, name, stream, shard]`. */
  keyPrefix?: string | undefined;
  /** Time source for lease timing (tests). */
  clock?: Clock | undefined;
}

export const DENO_KV_DEFAULTS = { keyPrefix: "async-kinesis" } as const;

/** The schema behind `parseOptions` here; exported for the test that checks every option's message. */
export const schema = v.object({
  ...leaseOptionEntries("it is part of every key"),
  kv: v.custom<DenoKvLike>(isDenoKvLike, "kv is required: an open Deno.Kv (await Deno.openKv())"),
  keyPrefix: v.optional(
    v.pipe(v.string("keyPrefix must be a string"), v.minLength(1, "keyPrefix must not be empty"), v.maxLength(200, "keyPrefix must be at most 200 characters")),
  ),
  clock: v.optional(clockOption),
});

/**
 * Leases and checkpoints in Deno KV (local SQLite, or Deno Deploy's global KV): the same lease session
 * as the other stores, each write one atomic check-and-set on the row's versionstamp — exactly a
 * fenced write. Rows expire `ttlHours` after their last write (KV's `expireIn`); a running group's
 * heartbeats keep pushing that out, and a finished shard's row also outlives the stream's retention.
 */
export class DenoKvCheckPointer extends LeaseStore {
  /** The consumer group name: part of every key and owner ref. */
  readonly name: string;
  /** First part of every key (default `async-kinesis`): keys are `[keyPrefix, name, stream, shard]`. */
  readonly keyPrefix: string;
  /** Whether checkpoints are written on their own (default true) or held until `manualCheckpoint()`. */
  readonly autoCheckpoint: boolean;
  readonly #kv: DenoKvLike;
  readonly #clock: Clock;
  readonly #ttlSeconds: number;

  constructor(options: DenoKvCheckPointerOptions) {
    super();
    const parsed = parseOptions(schema, options, "DenoKvCheckPointer");
    const timing = resolveLeaseOptions(parsed);
    this.name = timing.name;
    this.keyPrefix = parsed.keyPrefix ?? DENO_KV_DEFAULTS.keyPrefix;
    this.autoCheckpoint = timing.autoCheckpoint;
    this.#kv = parsed.kv;
    this.#clock = parsed.clock ?? systemClock;
    this.#ttlSeconds = timing.ttlHours * 3600;
    this.sessions = new OpenSessions(this.name, { ...timing, clock: this.#clock });
  }

  /** Open a worker session on `scope` and start its heartbeats. Nothing is written until a shard is allocated. */
  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    const { stream, retentionHours, incarnation } = sessionScope(scope);
    const store = { keyPrefix: this.keyPrefix, group: this.name, clock: this.#clock, ttlSeconds: this.#ttlSeconds };
    return this.sessions.open(stream, denoKvLeaseBackend(this.#kv, store, { stream, retentionHours, incarnation }));
  }

  /** What KV holds for this group (optionally one stream): shard, owner, sequence, last update. */
  async listCheckpoints(options: { streamName?: string } = {}): Promise<CheckpointListing[]> {
    const stream = options.streamName === undefined ? [] : [sessionScope({ streamName: options.streamName }).stream];
    const rows = [];
    for await (const entry of this.#kv.list({ prefix: [this.keyPrefix, this.name, ...stream] })) {
      rows.push(decodeStoredRow(entry.key.map((part) => String(part)).join("/"), entry.value));
    }
    return toListings(rows);
  }
}

/** The lease backend of one session: `group`'s rows of one stream in `kv` (also what the test bridge serves). */
export function denoKvLeaseBackend(
  kv: DenoKvLike,
  store: { keyPrefix: string; group: string; clock: Clock; ttlSeconds: number },
  scope: { stream: string; retentionHours: number; incarnation: string | undefined },
): RowStoreLeaseBackend {
  return new RowStoreLeaseBackend({
    storeName: "DenoKvCheckPointer",
    rows: new DenoKvRows(kv, store.keyPrefix, store.group, scope.stream, () => store.clock.now()),
    group: store.group,
    stream: scope.stream,
    incarnation: scope.incarnation,
    clock: store.clock,
    ttlSeconds: store.ttlSeconds,
    retentionHours: scope.retentionHours,
  });
}
