import { DynamoDBCheckPointer } from "../src/checkpointers/dynamodb/store.ts";
import type { CheckpointSession } from "../src/checkpointers/types.ts";
import { AbortedError } from "../src/errors.ts";
import type { Clock } from "../src/internal/clock.ts";
import { startDynamoDBLocal } from "../test/support/dynamodb-local.ts";
import { type BenchContext, benchCredentials, type Measurement } from "./context.ts";
import type { Row, Section } from "./table.ts";

/**
 * Issue 14's lease-table simulation: 1,000 shards, 50 workers, one table shared by 5 groups (200 shards
 * and 10 workers each), at the guide's defaults (heartbeat 15 s, sessionTimeout 60 s), on AWS's DynamoDB
 * Local. Workers are lease sessions driven as the consumer drives them (every allocateIntervalSeconds:
 * list the group, offer each shard not held), on one simulated clock that waits for every request to
 * be answered before time moves on; no Kinesis. Capacity is what DynamoDB Local reports with
 * ReturnConsumedCapacity TOTAL (table and index together); a failed conditional write, which carries no
 * report, is counted as the one write unit DynamoDB bills for it. The same fleet on the same table
 * without the group index (groupIndex: false, a Scan per listing) is the baseline column.
 */
export const leaseTableSim: Measurement = {
  id: "lease-table-sim",
  async run(context: BenchContext) {
    return [await simulate(context)];
  },
};

const GROUPS = 5;
const SHARDS_PER_GROUP = 200;
const WORKERS_PER_GROUP = 10;
const JOINING_PER_GROUP = 2;
const HEARTBEAT_S = 15;
const TIMING = { sessionTimeout: 60, heartbeatFrequency: HEARTBEAT_S, checkpointInterval: 5 } as const;
/** On-demand prices, us-east-1, as published after AWS's November 2024 cut (they change): USD per million request units. */
const PRICE_PER_MILLION_WRITES = 0.625;
const PRICE_PER_MILLION_READS = 0.125;
/** The guide's cost model: 10 shards × 4 heartbeats a minute ≈ 58K writes a day. */
const GUIDE_WRITES_PER_SHARD_HOUR = 4 * 60;

/** Operations that take ReturnConsumedCapacity, and which side of the bill they are on. */
const METERED: Record<string, "read" | "write"> = {
  GetItem: "read",
  Query: "read",
  Scan: "read",
  UpdateItem: "write",
  PutItem: "write",
  DeleteItem: "write",
};

/** Capacity units and requests counted on the wire, cumulative. */
class Meter {
  readUnits = 0;
  writeUnits = 0;
  readonly requests = new Map<string, number>();

  snapshot(): { readUnits: number; writeUnits: number } {
    return { readUnits: this.readUnits, writeUnits: this.writeUnits };
  }
}

/**
 * A manual clock that moves only when told, and after each wake-up waits until every request in flight
 * has been answered (and the code it woke has gone back to sleep), so a thousand leases renewing at
 * the same simulated instant are all answered before the next instant.
 */
class SimClock implements Clock {
  #now = Date.UTC(2026, 0, 1);
  #sleepers: Array<{ due: number; wake: () => void }> = [];
  #inFlight = 0;

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new AbortedError("aborted"));
    return new Promise((resolve, reject) => {
      const sleeper = {
        due: this.#now + Math.max(0, ms),
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason instanceof Error ? signal.reason : new AbortedError("aborted"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Wrap a request so the clock waits for its answer. */
  async track<T>(request: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await request();
    } finally {
      this.#inFlight--;
    }
  }

  /** Until nothing is in flight for two macrotask turns in a row. */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 2;) {
      await new Promise((resolve) => setTimeout(resolve, this.#inFlight > 0 ? 1 : 0));
      quiet = this.#inFlight === 0 ? quiet + 1 : 0;
    }
  }

  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await this.settle();
      let next: { due: number; wake: () => void } | undefined;
      for (const s of this.#sleepers) if (s.due <= target && (next === undefined || s.due < next.due)) next = s;
      if (next === undefined) break;
      this.#now = Math.max(this.#now, next.due);
      this.#sleepers = this.#sleepers.filter((s) => s !== next);
      next.wake();
    }
    this.#now = target;
    await this.settle();
  }
}

/** `fetch` that asks for ConsumedCapacity, adds it to the meter, and lets the clock wait for it. */
function meteredFetch(meter: Meter, clock: SimClock): typeof fetch {
  return (input, init) =>
    clock.track(async () => {
      const target = new Headers(init?.headers).get("x-amz-target") ?? "";
      const operation = target.slice(target.lastIndexOf(".") + 1);
      meter.requests.set(operation, (meter.requests.get(operation) ?? 0) + 1);
      const side = METERED[operation];
      // DynamoDB Local does not check signatures, so the body may gain the field after signing.
      const body = side === undefined ? init?.body : JSON.stringify({ ...(JSON.parse(String(init?.body)) as object), ReturnConsumedCapacity: "TOTAL" });
      const response = await fetch(input, { ...init, body: body ?? null });
      if (side === undefined) return response;
      const answer = (await response.clone().json()) as { ConsumedCapacity?: { CapacityUnits?: number }; __type?: string };
      let units = answer.ConsumedCapacity?.CapacityUnits ?? 0;
      // A refused conditional write is billed (one unit for an item under 1 KB) but reports nothing.
      if (side === "write" && answer.__type?.includes("ConditionalCheckFailed") === true) units = 1;
      if (side === "read") meter.readUnits += units;
      else meter.writeUnits += units;
      return response;
    });
}

interface Worker {
  group: number;
  store: DynamoDBCheckPointer;
  session: CheckpointSession;
  held: Set<string>;
}

const groupName = (group: number): string => `group-${group}`;
const shardsOf = (group: number): string[] => Array.from({ length: SHARDS_PER_GROUP }, (_, i) => `shardId-${String(group * 1000 + i).padStart(12, "0")}`);

class Fleet {
  readonly workers: Worker[] = [];
  readonly meter = new Meter();
  readonly clock = new SimClock();
  readonly #endpoint: string;
  readonly #tableName: string;
  readonly #useIndex: boolean;

  constructor(endpoint: string, tableName: string, useIndex: boolean) {
    this.#endpoint = endpoint;
    this.#tableName = tableName;
    this.#useIndex = useIndex;
  }

  async join(group: number): Promise<Worker> {
    const store = new DynamoDBCheckPointer({
      name: groupName(group),
      tableName: this.#tableName,
      endpoint: this.#endpoint,
      region: "us-east-1",
      credentials: benchCredentials,
      createTable: false,
      groupIndex: this.#useIndex,
      clock: this.clock,
      fetch: meteredFetch(this.meter, this.clock),
      ...TIMING,
    });
    const session = await store.start({ streamName: "events" });
    const worker = { group, store, session, held: new Set<string>() };
    this.workers.push(worker);
    return worker;
  }

  async leave(worker: Worker): Promise<void> {
    this.workers.splice(this.workers.indexOf(worker), 1);
    await worker.store.close();
  }

  /** One allocate round of every worker, as the consumer makes it: list the group, offer each shard not held here. */
  async round(): Promise<void> {
    await Promise.all(this.workers.map((worker) => this.#round(worker)));
    await this.clock.settle();
  }

  async #round(worker: Worker): Promise<void> {
    const shards = shardsOf(worker.group);
    await worker.session.list();
    for (const shardId of shards) {
      if (worker.held.has(shardId)) continue;
      const lease = await worker.session.allocate(shardId, { totalShards: shards.length });
      if (lease === undefined) continue;
      worker.held.add(shardId);
      lease.signal.addEventListener("abort", () => worker.held.delete(shardId), { once: true });
    }
  }

  /** Every shard of every group held by exactly one worker, none holding more than its fair share. */
  balanced(): boolean {
    for (let group = 0; group < GROUPS; group++) {
      const members = this.workers.filter((w) => w.group === group);
      const fair = Math.ceil(SHARDS_PER_GROUP / members.length);
      const held = members.reduce((sum, w) => sum + w.held.size, 0);
      if (held !== SHARDS_PER_GROUP || members.some((w) => w.held.size > fair)) return false;
      if (new Set(members.flatMap((w) => [...w.held])).size !== SHARDS_PER_GROUP) return false;
    }
    return true;
  }

  /** Allocate rounds (each after an allocate interval) until balanced; how many it took. */
  async roundsToBalance(limit: number): Promise<number> {
    const intervalMs = this.workers[0]!.session.allocateIntervalSeconds * 1000;
    for (let rounds = 1; rounds <= limit; rounds++) {
      await this.clock.advance(intervalMs);
      await this.round();
      if (this.balanced()) return rounds;
    }
    throw new Error(`the fleet is not balanced after ${limit} rounds`);
  }

  /** Capacity spent over `minutes` of steady rounds, per minute. */
  async perMinute(minutes: number, during: (round: number) => Promise<void> = async () => {}): Promise<{ readUnits: number; writeUnits: number }> {
    const intervalMs = this.workers[0]!.session.allocateIntervalSeconds * 1000;
    const start = this.meter.snapshot();
    const rounds = Math.round((minutes * 60_000) / intervalMs);
    for (let round = 0; round < rounds; round++) {
      await during(round);
      await this.clock.advance(intervalMs);
      await this.round();
    }
    const end = this.meter.snapshot();
    return { readUnits: (end.readUnits - start.readUnits) / minutes, writeUnits: (end.writeUnits - start.writeUnits) / minutes };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.store.close()));
  }
}

async function startFleet(endpoint: string, tableName: string, useIndex: boolean, log: (message: string) => void): Promise<{ fleet: Fleet; rounds: number }> {
  const fleet = new Fleet(endpoint, tableName, useIndex);
  for (let group = 0; group < GROUPS; group++) for (let i = 0; i < WORKERS_PER_GROUP; i++) await fleet.join(group);
  await fleet.round();
  const rounds = fleet.balanced() ? 1 : 1 + (await fleet.roundsToBalance(40));
  log(`${useIndex ? "index" : "scan"} fleet of ${fleet.workers.length} workers balanced after ${rounds} rounds`);
  return { fleet, rounds };
}

async function simulate(context: BenchContext): Promise<Section> {
  const server = await startDynamoDBLocal();
  const started = performance.now();
  try {
    const tableName = "lease-table-sim";
    const scanTableName = "lease-table-sim-no-index";
    // The tables as a checkpointer creates them, with the group index and without (the baseline), on the real clock.
    for (const [name, groupIndex] of [[tableName, true], [scanTableName, false]] as const) {
      const creator = new DynamoDBCheckPointer({
        name: "creator",
        tableName: name,
        groupIndex,
        endpoint: server.endpoint,
        region: "us-east-1",
        credentials: benchCredentials,
      });
      await creator.start({ streamName: "events" });
      await creator.close();
    }
    const steadyMinutes = context.quick ? 1 : 3;

    // The Scan baseline (a table without the index), then the same fleet on the index.
    const scan = await startFleet(server.endpoint, scanTableName, false, context.log);
    const scanSteady = await scan.fleet.perMinute(steadyMinutes);
    context.log(`scan steady: ${scanSteady.readUnits.toFixed(0)} RCU/min, ${scanSteady.writeUnits.toFixed(0)} WCU/min`);
    await scan.fleet.close();

    const { fleet } = await startFleet(server.endpoint, tableName, true, context.log);
    const steady = await fleet.perMinute(steadyMinutes);
    context.log(`index steady: ${steady.readUnits.toFixed(0)} RCU/min, ${steady.writeUnits.toFixed(0)} WCU/min`);

    // Rolling restart: every 30 s one worker of each group closes (releasing its leases) and a new one starts.
    const originals = [...fleet.workers];
    const restartRounds = WORKERS_PER_GROUP * 4;
    const restart = await fleet.perMinute((restartRounds * TIMING.heartbeatFrequency) / 2 / 60, async (round) => {
      if (round % 4 !== 0) return;
      const batch = round / 4;
      for (let group = 0; group < GROUPS; group++) {
        const leaving = originals.filter((w) => w.group === group)[batch]!;
        await fleet.leave(leaving);
        await fleet.join(group);
      }
    });
    const afterRestart = fleet.balanced() ? 0 : await fleet.roundsToBalance(40);
    context.log(`rolling restart: ${restart.readUnits.toFixed(0)} RCU/min, ${restart.writeUnits.toFixed(0)} WCU/min; balanced ${afterRestart} rounds after`);

    // Ten workers join (two per group): rounds until every worker holds at most its fair share.
    for (let group = 0; group < GROUPS; group++) for (let i = 0; i < JOINING_PER_GROUP; i++) await fleet.join(group);
    const joinStart = fleet.clock.now();
    const joinRounds = await fleet.roundsToBalance(60);
    const joinSeconds = (fleet.clock.now() - joinStart) / 1000;
    context.log(`10 joined: balanced after ${joinRounds} allocate rounds (${joinSeconds} s simulated)`);
    await fleet.close();

    const shards = GROUPS * SHARDS_PER_GROUP;
    const dollarsPerShardHour = (perMinute: { readUnits: number; writeUnits: number }): number =>
      ((perMinute.writeUnits * PRICE_PER_MILLION_WRITES + perMinute.readUnits * PRICE_PER_MILLION_READS) * 60) / 1e6 / shards;
    const rows: Row[] = [
      { name: "steady state: read units", unit: "RCU/min", better: "lower", ours: steady.readUnits, baseline: scanSteady.readUnits },
      { name: "steady state: write units (table + index)", unit: "WCU/min", better: "lower", ours: steady.writeUnits, baseline: scanSteady.writeUnits },
      { name: "rolling restart (1 per group / 30 s): read units", unit: "RCU/min", better: "lower", ours: restart.readUnits },
      { name: "rolling restart: write units", unit: "WCU/min", better: "lower", ours: restart.writeUnits },
      { name: "balanced again after the restart", unit: "allocate rounds", better: "lower", ours: afterRestart },
      { name: "10 workers join: to full balance", unit: "heartbeat rounds", better: "lower", ours: joinSeconds / HEARTBEAT_S },
      { name: "10 workers join: to full balance", unit: "s", better: "lower", ours: joinSeconds },
      {
        name: "steady state cost",
        unit: "µUSD/shard-hour",
        better: "lower",
        ours: dollarsPerShardHour(steady) * 1e6,
        baseline: dollarsPerShardHour(scanSteady) * 1e6,
      },
      {
        name: "guide's model: 4 writes/shard/min, no reads",
        unit: "µUSD/shard-hour",
        better: "lower",
        ours: GUIDE_WRITES_PER_SHARD_HOUR * PRICE_PER_MILLION_WRITES,
      },
    ];
    return {
      title: `Lease table at scale: ${shards} shards, ${GROUPS * WORKERS_PER_GROUP} workers, ${GROUPS} groups sharing one table (DynamoDB Local)`,
      baseline: "Scan (no index)",
      rows,
      notes: [
        `Defaults: heartbeat ${HEARTBEAT_S} s, sessionTimeout ${TIMING.sessionTimeout} s, one allocate round (a listing) per worker every 7.5 s; ${steadyMinutes} simulated minutes at steady state.`,
        "Units are DynamoDB Local's ReturnConsumedCapacity TOTAL (the index's writes included); a refused conditional write counts 1 WCU.",
        `Prices: on-demand us-east-1, $${PRICE_PER_MILLION_WRITES} per million write and $${PRICE_PER_MILLION_READS} per million read request units (after the November 2024 cut; prices change).`,
        "KCL 3 publishes no per-shard figures: its 3.0.0 release notes say the leaseOwner index 'significantly reduces read operations' versus full table scans.",
        `Simulated on one clock that waits for every answer; ${((performance.now() - started) / 1000).toFixed(0)} s of real time.`,
      ],
    };
  } finally {
    server.close();
  }
}
