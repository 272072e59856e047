import type { LeaseBackend } from "../../../src/checkpointers/lease/backend.ts";
import { resolveLeaseOptions } from "../../../src/checkpointers/lease/lease-options.ts";
import { OpenSessions, sessionScope } from "../../../src/checkpointers/lease/store-base.ts";
import { MemoryLeaseBackend, type MemoryRows } from "../../../src/checkpointers/memory/lease-backend.ts";
import type { CheckPointer, CheckpointScope, CheckpointSession } from "../../../src/checkpointers/types.ts";
import { type Clock, systemClock } from "../../../src/internal/clock.ts";
import { BackendTap } from "./backend-tap.ts";
import type { LeaseDriver, RawRow, SuiteStoreOptions } from "./driver.ts";

/**
 * The memory store as a fleet: `MemoryCheckPointer` keeps its rows to itself, so several of them
 * cannot stand in for several processes. This is the same assembly — `MemoryLeaseBackend` under the
 * shared session, through `OpenSessions` — over one map shared by every checkpointer of the driver,
 * with a tap in front of each backend when asked.
 */
class SharedMemoryCheckPointer implements CheckPointer {
  readonly #rows: MemoryRows;
  readonly #name: string;
  readonly #clock: Clock;
  readonly #wrap: (backend: LeaseBackend) => LeaseBackend;
  readonly #sessions: OpenSessions;

  constructor(rows: MemoryRows, name: string, options: SuiteStoreOptions<BackendTap>) {
    this.#rows = rows;
    this.#name = name;
    this.#clock = options.clock ?? systemClock;
    const tap = options.tap;
    const random = options.random;
    this.#wrap = tap === undefined ? (backend) => backend : (backend) => tap.wrap(backend, random);
    const timing = resolveLeaseOptions({
      name,
      sessionTimeout: options.sessionTimeout ?? 1.5,
      heartbeatFrequency: options.heartbeatFrequency ?? 0.3,
      checkpointInterval: options.checkpointInterval ?? 0.1,
      autoCheckpoint: options.autoCheckpoint ?? true,
      ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
    });
    this.#sessions = new OpenSessions(name, { ...timing, clock: this.#clock });
  }

  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    const { stream, incarnation } = sessionScope(scope);
    const backend = new MemoryLeaseBackend({ rows: this.#rows, group: this.#name, stream, incarnation, clock: this.#clock });
    return this.#sessions.open(stream, this.#wrap(backend));
  }

  manualCheckpoint(): Promise<void> {
    return this.#sessions.manualCheckpoint();
  }

  close(): Promise<void> {
    return this.#sessions.close();
  }
}

/** The memory store's driver: one map of rows for every checkpointer it makes (one "table"). */
export function memoryLeaseDriver(): LeaseDriver<BackendTap> {
  const rows: MemoryRows = new Map();
  const key = (group: string, stream: string, shardId: string): string => `${group}#${stream}#${shardId}`;
  return {
    abandonsHeldCalls: true,
    store: (group, options = {}) => new SharedMemoryCheckPointer(rows, group, options),
    tap: () => new BackendTap(),
    async rawRow(group, stream, shardId): Promise<RawRow | undefined> {
      const row = rows.get(key(group, stream, shardId));
      return row === undefined ? undefined : { owner: row.owner, sequence: row.sequence, finished: row.finished, counter: row.counter };
    },
    async takeOver(group, stream, shardId, owner) {
      const row = rows.get(key(group, stream, shardId));
      if (row === undefined) throw new Error(`no row for ${shardId} to take over`);
      rows.set(row.key, { ...row, owner, counter: row.counter + 1 });
    },
    backend: (group, stream) => new MemoryLeaseBackend({ rows, group, stream, incarnation: undefined, clock: systemClock }),
  };
}
