import type { ConditionalOutcome, LeaseBackend } from "../../../src/checkpointers/lease/backend.ts";
import { resolveLeaseOptions } from "../../../src/checkpointers/lease/lease-options.ts";
import type { FencedWrite } from "../../../src/checkpointers/lease/lease-rules.ts";
import type { LeaseRow } from "../../../src/checkpointers/lease/lease-row.ts";
import { OpenSessions, sessionScope } from "../../../src/checkpointers/lease/store-base.ts";
import type { CheckPointer, CheckpointScope, CheckpointSession } from "../../../src/checkpointers/types.ts";
import { type Clock, systemClock } from "../../../src/internal/clock.ts";
import type { BackendCall, BackendMethod, BridgedRawRow, RaceOutcome, RowAddress } from "../lease-bridge/protocol.ts";
import { BackendTap } from "./backend-tap.ts";
import type { LeaseDriver, RawRow, SuiteStoreOptions } from "./driver.ts";

/** A platform whose real backend runs behind the lease bridge (test/support/lease-bridge/). */
export interface BridgedPlatform {
  storeName: string;
  /** The bridge's base URL (known once the platform has started, in `beforeAll`). */
  url: () => string;
  /** The platform store's own row key (the same code the backend runs), since `rowKey` is synchronous. */
  rowKey(group: string, stream: string, shardId: string): string;
}

async function post<T>(platform: BridgedPlatform, path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const response = await fetch(`${platform.url()}${path}`, { method: "POST", body: JSON.stringify(body), ...(signal === undefined ? {} : { signal }) });
  const answer = (await response.json()) as { result?: T | null; error?: string };
  if (!response.ok || answer.error !== undefined) throw new Error(`${platform.storeName} (bridged): ${answer.error ?? `HTTP ${response.status}`}`);
  return (answer.result ?? undefined) as T;
}

/**
 * A `LeaseBackend` whose every method is one request to the real backend in its platform: the
 * session runs here (in vitest), each storage operation there.
 */
class RemoteLeaseBackend implements LeaseBackend {
  readonly storeName: string;
  readonly random = Math.random;
  readonly incarnation: string | undefined;
  readonly #platform: BridgedPlatform;
  readonly #group: string;
  readonly #stream: string;
  readonly #clock: Clock;

  constructor(platform: BridgedPlatform, group: string, stream: string, incarnation: string | undefined, clock: Clock) {
    this.storeName = platform.storeName;
    this.#platform = platform;
    this.#group = group;
    this.#stream = stream;
    this.incarnation = incarnation;
    this.#clock = clock;
  }

  rowKey(shardId: string): string {
    return this.#platform.rowKey(this.#group, this.#stream, shardId);
  }

  listRows(signal: AbortSignal): Promise<LeaseRow[]> {
    return this.#call("listRows", [], signal);
  }
  readRow(shardId: string, signal: AbortSignal): Promise<LeaseRow | undefined> {
    return this.#call("readRow", [shardId], signal);
  }
  create(shardId: string, me: string, nowMs: number, signal: AbortSignal): Promise<ConditionalOutcome> {
    return this.#call("create", [shardId, me, nowMs], signal);
  }
  take(
    shardId: string,
    me: string,
    expected: { counter: number; owner?: string | undefined },
    nowMs: number,
    signal: AbortSignal,
  ): Promise<ConditionalOutcome> {
    return this.#call("take", [shardId, me, expected, nowMs], signal);
  }
  requestHandoff(shardId: string, me: string, owner: string, signal: AbortSignal): Promise<ConditionalOutcome> {
    return this.#call("requestHandoff", [shardId, me, owner], signal);
  }
  ownerWrite(shardId: string, me: string, write: FencedWrite, signal: AbortSignal): Promise<ConditionalOutcome> {
    return this.#call("ownerWrite", [shardId, me, write], signal);
  }
  cancelHandoff(shardId: string, me: string, signal: AbortSignal): Promise<ConditionalOutcome> {
    return this.#call("cancelHandoff", [shardId, me], signal);
  }

  #call<T>(method: BackendMethod, args: unknown[], signal: AbortSignal): Promise<T> {
    const call: BackendCall = { group: this.#group, stream: this.#stream, nowMs: this.#clock.now(), method, args };
    if (this.incarnation !== undefined) call.incarnation = this.incarnation;
    return post<T>(this.#platform, "/backend", call, signal);
  }
}

/**
 * A checkpointer assembled as the platform's own is (`OpenSessions` over its backend), with the
 * backend reached through the bridge, and a tap in front of it when the suite asks for one.
 */
export class BridgedCheckPointer implements CheckPointer {
  readonly name: string;
  readonly autoCheckpoint: boolean;
  readonly #platform: BridgedPlatform;
  readonly #clock: Clock;
  readonly #wrap: (backend: LeaseBackend) => LeaseBackend;
  readonly #sessions: OpenSessions;

  constructor(platform: BridgedPlatform, name: string, options: SuiteStoreOptions<BackendTap>) {
    this.#platform = platform;
    this.name = name;
    this.#clock = options.clock ?? systemClock;
    const { tap, random } = options;
    this.#wrap = tap === undefined ? (backend) => backend : (backend) => tap.wrap(backend, random);
    const timing = resolveLeaseOptions({
      name,
      sessionTimeout: options.sessionTimeout ?? 1.5,
      heartbeatFrequency: options.heartbeatFrequency ?? 0.3,
      checkpointInterval: options.checkpointInterval ?? 0.1,
      autoCheckpoint: options.autoCheckpoint ?? true,
      ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
    });
    this.autoCheckpoint = timing.autoCheckpoint;
    this.#sessions = new OpenSessions(name, { ...timing, clock: this.#clock });
  }

  async start(scope: CheckpointScope): Promise<CheckpointSession> {
    const { stream, incarnation } = sessionScope(scope);
    return this.#sessions.open(stream, this.#wrap(new RemoteLeaseBackend(this.#platform, this.name, stream, incarnation, this.#clock)));
  }

  manualCheckpoint(): Promise<void> {
    return this.#sessions.manualCheckpoint();
  }

  close(): Promise<void> {
    return this.#sessions.close();
  }
}

/** The lease suite's driver for a bridged platform: every checkpointer it makes shares the platform's one store. */
export function bridgedLeaseDriver(platform: BridgedPlatform): LeaseDriver<BackendTap> {
  return {
    abandonsHeldCalls: true,
    store: (group, options = {}) => new BridgedCheckPointer(platform, group, options),
    tap: () => new BackendTap(),
    async rawRow(group, stream, shardId): Promise<RawRow | undefined> {
      const address: RowAddress = { group, stream, shardId };
      const row = await post<BridgedRawRow | undefined>(platform, "/raw", address);
      return row === undefined ? undefined : { owner: row.owner, sequence: row.sequence, finished: row.finished, counter: row.counter };
    },
    async takeOver(group, stream, shardId, owner) {
      await post(platform, "/take-over", { group, stream, shardId, owner });
    },
    backend: (group, stream) => new RemoteLeaseBackend(platform, group, stream, undefined, systemClock),
  };
}

/** `takers` takes on one row, started together inside one event of the platform (see the bridge's `/race`). */
export function raceInPlatform(platform: BridgedPlatform, address: RowAddress, takers: number): Promise<RaceOutcome> {
  return post<RaceOutcome>(platform, "/race", { ...address, takers });
}
