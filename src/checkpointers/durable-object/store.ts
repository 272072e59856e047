import * as v from "valibot";
import { clockOption, parseOptions } from "../../config/validate.ts";
import { ConfigError } from "../../errors.ts";
import { type Clock, systemClock } from "../../internal/clock.ts";
import { leaseOptionEntries, type LeaseOptions, resolveLeaseOptions } from "../lease/lease-options.ts";
import { RowStoreLeaseBackend } from "../lease/row-store.ts";
import { type CheckpointListing, LeaseStore, OpenSessions, sessionScope, toListings } from "../lease/store-base.ts";
import { decodeStoredRow } from "../lease/stored-row.ts";
import type { CheckpointScope, CheckpointSession } from "../types.ts";
import { DurableObjectRows, type DurableObjectStorageLike, isDurableObjectStorageLike } from "./storage.ts";

export type { DurableObjectStorageLike, DurableObjectTransactionLike } from "./storage.ts";

/** Options of `DurableObjectCheckPointer`: the lease settings of the other stores, minus `ttlHours` (storage keys do not expire). */
export interface DurableObjectCheckPointerOptions extends Omit<LeaseOptions, "ttlHours"> {
  /** The Durable Object's storage: `this.ctx.storage` (or `state.storage`) inside the object. */
  storage: DurableObjectStorageLike;
  /** First part of every key (default `async-kinesis`), to keep these rows apart from the object's own. */
  keyPrefix?: string | undefined;
  /** Time source for lease timing (tests; workerd's `Date.now()` only advances across I/O). */
  clock?: Clock | undefined;
}

export const DURABLE_OBJECT_DEFAULTS = { keyPrefix: "async-kinesis" } as const;

/** Stream names and key prefixes become parts of colon-separated keys. */
const KEY_PART = /^[A-Za-z0-9_.-]{1,200}$/;

const { ttlHours: _ttlHours, ...leaseEntries } = leaseOptionEntries("it is part of every storage key");
/** The schema behind `parseOptions` here; exported for the test that checks every option's message. */
export const schema = v.object({
  ...leaseEntries,
  storage: v.custom<DurableObjectStorageLike>(isDurableObjectStorageLike, "storage is required: the Durable Object's ctx.storage (get, list, transaction)"),
  keyPrefix: v.optional(v.pipe(v.string("keyPrefix must be a string"), v.regex(KEY_PART, "keyPrefix must be 1-200 characters of A-Z a-z 0-9 _ . -"))),
  clock: v.optional(clockOption),
});

/**
 * Leases and checkpoints in a Durable Object's transactional storage, for Workers without DynamoDB
 * or Redis: the same lease session as the other stores (fencing on owner + counter, one winner per
 * race, no backward checkpoint, incarnations, cooperative handoff), each write one transaction of
 * the object's storage. Use it inside the object that owns the storage — e.g. a Durable Object whose
 * alarm consumes one bounded step per run, resuming after the last checkpoint.
 *
 * Rows never expire: storage keys have no TTL. They are small (one per shard); a stream's rows can be
 * listed with `listCheckpoints()` and deleted with the object's storage API.
 */
export class DurableObjectCheckPointer extends LeaseStore {
  /** The consumer group name: part of every key and owner ref. */
  readonly name: string;
  /** First part of every key (default `async-kinesis`): keys are `<keyPrefix>:<name>:<stream>:<shard>`. */
  readonly keyPrefix: string;
  /** Whether checkpoints are written on their own (default true) or held until `manualCheckpoint()`. */
  readonly autoCheckpoint: boolean;
  readonly #storage: DurableObjectStorageLike;
  readonly #clock: Clock;

  constructor(options: DurableObjectCheckPointerOptions) {
    super();
    const parsed = parseOptions(schema, options, "DurableObjectCheckPointer");
    const timing = resolveLeaseOptions(parsed);
    this.name = timing.name;
    this.keyPrefix = parsed.keyPrefix ?? DURABLE_OBJECT_DEFAULTS.keyPrefix;
    this.autoCheckpoint = timing.autoCheckpoint;
    this.#storage = parsed.storage;
    this.#clock = parsed.clock ?? systemClock;
    this.sessions = new OpenSessions(this.name, { ...timing, clock: this.#clock });
  }

  /** Open a worker session on `scope` and start its heartbeats. Nothing is written until a shard is allocated. */
  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    const { stream, retentionHours, incarnation } = sessionScope(scope);
    if (!KEY_PART.test(stream)) throw new ConfigError("streamName", `stream name "${stream}" cannot be part of a storage key`);
    const backend = durableObjectLeaseBackend(this.#storage, { keyPrefix: this.keyPrefix, group: this.name, clock: this.#clock }, {
      stream,
      retentionHours,
      incarnation,
    });
    return this.sessions.open(stream, backend);
  }

  /** What the storage holds for this group (optionally one stream): shard, owner, sequence, last update. */
  async listCheckpoints(options: { streamName?: string } = {}): Promise<CheckpointListing[]> {
    const stream = options.streamName === undefined ? undefined : sessionScope({ streamName: options.streamName }).stream;
    const prefix = `${this.keyPrefix}:${this.name}:${stream === undefined ? "" : `${stream}:`}`;
    const entries = await this.#storage.list({ prefix });
    return toListings([...entries].map(([key, value]) => decodeStoredRow(key, value)));
  }
}

/** The lease backend of one session: `group`'s rows of one stream in `storage` (also what the test bridge serves). */
export function durableObjectLeaseBackend(
  storage: DurableObjectStorageLike,
  store: { keyPrefix: string; group: string; clock: Clock },
  scope: { stream: string; retentionHours: number; incarnation: string | undefined },
): RowStoreLeaseBackend {
  return new RowStoreLeaseBackend({
    storeName: "DurableObjectCheckPointer",
    rows: new DurableObjectRows(storage, store.keyPrefix, store.group, scope.stream),
    group: store.group,
    stream: scope.stream,
    incarnation: scope.incarnation,
    clock: store.clock,
    ttlSeconds: undefined,
    retentionHours: scope.retentionHours,
  });
}
