import * as v from "valibot";
import { clockOption, parseOptions } from "../config/validate.ts";
import { type Clock, systemClock } from "../internal/clock.ts";
import { leaseOptionEntries, type LeaseOptions, resolveLeaseOptions } from "./lease/lease-options.ts";
import { type CheckpointListing, LeaseStore, OpenSessions, sessionScope, toListings } from "./lease/store-base.ts";
import { MemoryLeaseBackend, type MemoryRows } from "./memory/lease-backend.ts";
import type { CheckpointScope, CheckpointSession } from "./types.ts";

/** Options of `MemoryCheckPointer`; all optional, with shorter lease timings than the fleet stores (`MEMORY_DEFAULTS`). */
export interface MemoryCheckPointerOptions extends Partial<LeaseOptions> {
  /** Group name; rows are owned by `<name>/<worker id>` (default "memory"). */
  name?: string;
  /** Time source (default the system clock). */
  clock?: Clock;
}

/**
 * In one process a worker that stops without closing is rare (its consumer was dropped), so expiry can
 * be short; writes cost nothing, so renewals and coalesced checkpoints can be frequent too.
 */
export const MEMORY_DEFAULTS = { name: "memory", sessionTimeout: 10, heartbeatFrequency: 0.25, checkpointInterval: 1, ttlHours: 24 } as const;

const { name: _name, ...leaseEntries } = leaseOptionEntries("it forms row keys");
/** The schema behind `parseOptions` here; exported for the test that checks every option's message. */
export const optionsSchema = v.object({
  ...leaseEntries,
  name: v.optional(leaseOptionEntries("it forms row keys").name),
  clock: v.optional(clockOption),
});

/**
 * Leases and checkpoints in this process's memory: for single-process jobs, tests, and several
 * consumers in one process splitting a stream's shards. The lease rules are the fleet's (the same
 * session as DynamoDB and Redis, over a map instead of a table). Nothing survives a restart.
 */
export class MemoryCheckPointer extends LeaseStore {
  /** The consumer group name (default "memory"); rows are owned by `<name>/<worker id>`. */
  readonly name: string;
  /** Whether checkpoints are written on their own (default true) or held until `manualCheckpoint()`. */
  readonly autoCheckpoint: boolean;
  /** The time source lease expiry is measured with (default the system clock). */
  readonly clock: Clock;
  readonly #rows: MemoryRows = new Map();

  constructor(options: MemoryCheckPointerOptions = {}) {
    super();
    const parsed = parseOptions(optionsSchema, options, "MemoryCheckPointer");
    const timing = resolveLeaseOptions({
      ...parsed,
      name: parsed.name ?? MEMORY_DEFAULTS.name,
      sessionTimeout: parsed.sessionTimeout ?? MEMORY_DEFAULTS.sessionTimeout,
      heartbeatFrequency: parsed.heartbeatFrequency ?? MEMORY_DEFAULTS.heartbeatFrequency,
      checkpointInterval: parsed.checkpointInterval ?? MEMORY_DEFAULTS.checkpointInterval,
    });
    this.name = timing.name;
    this.autoCheckpoint = timing.autoCheckpoint;
    this.clock = parsed.clock ?? systemClock;
    this.sessions = new OpenSessions(this.name, { ...timing, clock: this.clock });
  }

  /** Open a worker session for `scope.streamName`; sessions of one instance share its rows, so they split the shards. */
  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    const { stream, incarnation } = sessionScope(scope);
    return this.sessions.open(stream, new MemoryLeaseBackend({ rows: this.#rows, group: this.name, stream, incarnation, clock: this.clock }));
  }

  /** What this checkpointer holds for its group (optionally one stream): shard, owner, sequence, last update. */
  async listCheckpoints(options: { streamName?: string } = {}): Promise<CheckpointListing[]> {
    const stream = options.streamName === undefined ? undefined : sessionScope({ streamName: options.streamName }).stream;
    return toListings([...this.#rows.values()].filter((row) => stream === undefined || row.stream === stream));
  }
}
