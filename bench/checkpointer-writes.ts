import { DynamoDBCheckPointer } from "../src/checkpointers/dynamodb/store.ts";
import { LIST_ROWS, OWNER_WRITE, READ_ROW, REQUEST_HANDOFF, TAKE } from "../src/checkpointers/redis/lua.ts";
import { sha1Hex } from "../src/checkpointers/redis/scripts.ts";
import { RedisCheckPointer } from "../src/checkpointers/redis/store.ts";
import type { CheckPointer, CheckpointSession } from "../src/checkpointers/types.ts";
import { findOnPath } from "../test/support/child-server.ts";
import { fetchTap } from "../test/support/fetch-tap.ts";
import { startLocalServers } from "../test/support/local-servers.ts";
import { ManualClock } from "../test/support/manual-clock.ts";
import { connectRedis, pausableRedis } from "../test/support/redis-clients.ts";
import { startRedis } from "../test/support/redis-server.ts";
import { type BenchContext, benchCredentials, type Measurement } from "./context.ts";
import type { Row, Section } from "./table.ts";

/**
 * What leases and checkpoints cost in store requests at the guide's defaults (sessionTimeout 60 s,
 * heartbeatFrequency 15 s, checkpointInterval 5 s), counted on the wire while minutes pass on a
 * manual clock: DynamoDBCheckPointer against dynalite (in process), RedisCheckPointer against a
 * redis-server child. The numbers are counts, not timings, so they do not depend on the machine.
 */
export const checkpointerWrites: Measurement = {
  id: "checkpointer-writes",
  async run(context: BenchContext) {
    return [await dynamoSection(context), await redisSection(context)];
  },
};

const DEFAULTS = { sessionTimeout: 60, heartbeatFrequency: 15, checkpointInterval: 5 } as const;
const GROUP = "bench-writes";
const IDLE_SHARDS = ["shard-0", "shard-1", "shard-2", "shard-3"];
const IDLE_MINUTES = 10;
const BUSY_SHARD = "shard-0";
const BUSY_MINUTES = 2;
const CHECKPOINTS_PER_SECOND = 50;
/** The guide's cost model: 10 shards × 4 heartbeats a minute, for a day. */
const GUIDE_SHARDS = 10;
const GUIDE_WRITES_PER_SHARD_MINUTE = 4;
const GUIDE_WRITES_PER_DAY = GUIDE_SHARDS * GUIDE_WRITES_PER_SHARD_MINUTE * 60 * 24;
/**
 * Real time the manual clock gives I/O after each wake-up. Both stores answer a loopback request in
 * well under a millisecond here; the test suite's 15 ms would make this bench take ~15 s.
 */
const SETTLE_MS = 3;

/** Requests counted so far, cumulative: lease writes and group reads (Scan / the list script). */
interface Counts {
  writes: number;
  lists: number;
}

/** One store under measurement: opens sessions on a given clock, counts what reached the server. */
interface Backend {
  open(stream: string, clock: ManualClock): Promise<{ store: CheckPointer; session: CheckpointSession }>;
  counts(): Counts;
}

interface Figures {
  idlePerShardMinute: number;
  listsPerWorkerMinute: number;
  closeWrites: number;
  busyPerShardMinute: number;
}

/** What the consumer does every allocateIntervalSeconds: read the group, offer every shard. */
function allocateRound(session: CheckpointSession, shards: readonly string[]): () => Promise<void> {
  return async () => {
    await session.list();
    for (const shardId of shards) await session.allocate(shardId, { totalShards: shards.length });
  };
}

async function measureFigures(backend: Backend, log: (message: string) => void): Promise<Figures> {
  // (a), (c), (d): one worker holding 4 idle shards for 10 minutes, then closing.
  const idleClock = new ManualClock(Date.now());
  const idle = await backend.open("idle", idleClock);
  const intervalMs = idle.session.allocateIntervalSeconds * 1000;
  const idleRound = allocateRound(idle.session, IDLE_SHARDS);
  await idleRound();
  const held = (await idle.session.list()).filter((row) => row.owner === idle.session.ref).length;
  if (held !== IDLE_SHARDS.length) throw new Error(`the idle worker holds ${held} of ${IDLE_SHARDS.length} leases after its first round`);
  const idleStart = backend.counts();
  for (let t = 0; t < IDLE_MINUTES * 60_000; t += intervalMs) {
    await idleClock.advance(intervalMs, SETTLE_MS);
    await idleRound();
  }
  const idleEnd = backend.counts();
  await idle.store.close();
  const closeWrites = backend.counts().writes - idleEnd.writes;
  log(`idle: ${idleEnd.writes - idleStart.writes} writes, ${idleEnd.lists - idleStart.lists} lists in ${IDLE_MINUTES} simulated minutes`);

  // (b): one worker, one shard, 50 checkpoints a second for 2 minutes; allocate rounds go on as usual.
  const busyClock = new ManualClock(Date.now());
  const busy = await backend.open("busy", busyClock);
  const busyRound = allocateRound(busy.session, [BUSY_SHARD]);
  await busyRound();
  const busyStart = backend.counts();
  let sequence = 1000;
  for (let second = 1; second <= BUSY_MINUTES * 60; second++) {
    for (let i = 0; i < CHECKPOINTS_PER_SECOND; i++) busy.session.checkpoint(BUSY_SHARD, String(sequence++));
    await busyClock.advance(1000, SETTLE_MS);
    if ((second * 1000) % intervalMs < 1000) await busyRound();
  }
  const busyWrites = backend.counts().writes - busyStart.writes;
  await busy.store.close();
  log(`busy: ${busyWrites} writes for ${BUSY_MINUTES * 60 * CHECKPOINTS_PER_SECOND} checkpoints in ${BUSY_MINUTES} simulated minutes`);

  return {
    idlePerShardMinute: (idleEnd.writes - idleStart.writes) / IDLE_SHARDS.length / IDLE_MINUTES,
    listsPerWorkerMinute: (idleEnd.lists - idleStart.lists) / IDLE_MINUTES,
    closeWrites,
    busyPerShardMinute: busyWrites / BUSY_MINUTES,
  };
}

/** The rows both stores share; `write` names the unit ("writes" for DynamoDB, "commands" for Redis). */
function figureRows(figures: Figures, write: string, list: string): Row[] {
  return [
    {
      name: `(a) ${IDLE_SHARDS.length} idle shards, ${IDLE_MINUTES} min`,
      unit: `${write}/shard/min`,
      better: "lower",
      ours: figures.idlePerShardMinute,
      baseline: GUIDE_WRITES_PER_SHARD_MINUTE,
    },
    {
      name: `(b) 1 busy shard, ${CHECKPOINTS_PER_SECOND} checkpoints/s, ${BUSY_MINUTES} min`,
      unit: `${write}/shard/min`,
      better: "lower",
      ours: figures.busyPerShardMinute,
    },
    { name: `(c) close() of ${IDLE_SHARDS.length} shards`, unit: write, better: "lower", ours: figures.closeWrites },
    { name: "(d) allocate rounds", unit: `${list}/worker/min`, better: "lower", ours: figures.listsPerWorkerMinute },
    {
      name: `${GUIDE_SHARDS} idle shards for a day, from (a)`,
      unit: `${write}/day`,
      better: "lower",
      ours: figures.idlePerShardMinute * GUIDE_SHARDS * 60 * 24,
      baseline: GUIDE_WRITES_PER_DAY,
    },
  ];
}

function commonNotes(figures: Figures, write: string): string[] {
  const busyDay = Math.round(figures.busyPerShardMinute * GUIDE_SHARDS * 60 * 24).toLocaleString("en-US");
  return [
    `Defaults as in the guide: sessionTimeout ${DEFAULTS.sessionTimeout} s, heartbeatFrequency ${DEFAULTS.heartbeatFrequency} s, checkpointInterval ${DEFAULTS.checkpointInterval} s. ` +
    "Time is simulated (test/support/manual-clock.ts); every request is real and counted as it is sent.",
    `One worker runs the consumer's allocate round (list the group, offer each shard) every allocateIntervalSeconds (half a heartbeat, 7.5 s).`,
    `The guide's model: ${GUIDE_SHARDS} shards × ${GUIDE_WRITES_PER_SHARD_MINUTE} heartbeats/min ≈ ${
      GUIDE_WRITES_PER_DAY.toLocaleString("en-US")
    } writes/day; it has no figure for (b)–(d). ` +
    `${GUIDE_SHARDS} busy shards at (b) would be ≈ ${busyDay} ${write}/day (a checkpoint write renews the lease, so it replaces the heartbeat; a write per checkpoint would be ${
      (CHECKPOINTS_PER_SECOND * 60).toLocaleString("en-US")
    }/shard/min).`,
  ];
}

async function dynamoSection(context: BenchContext): Promise<Section> {
  const servers = await startLocalServers();
  try {
    const tap = fetchTap();
    const common = {
      name: GROUP,
      tableName: "bench-checkpointer-writes",
      endpoint: servers.dynamodbEndpoint,
      region: "us-east-1",
      credentials: benchCredentials,
    };
    // Create the table on the real clock: creation polls DescribeTable with sleeps.
    const creator = new DynamoDBCheckPointer(common);
    await creator.start({ streamName: "setup" });
    await creator.close();
    const backend: Backend = {
      async open(stream, clock) {
        const store = new DynamoDBCheckPointer({ ...common, ...DEFAULTS, clock, fetch: tap.fetch });
        return { store, session: await store.start({ streamName: stream }) };
      },
      // The group index's Query (a table without it: a Scan).
      counts: () => ({ writes: tap.writes(), lists: (tap.counts()["Query"] ?? 0) + (tap.counts()["Scan"] ?? 0) }),
    };
    const figures = await measureFigures(backend, (message) => context.log(`DynamoDB ${message}`));
    return {
      title: "DynamoDBCheckPointer writes at the guide's defaults (dynalite)",
      baseline: "guide's cost model",
      rows: figureRows(figures, "writes", "Queries"),
      notes: [
        ...commonNotes(figures, "writes"),
        "Writes are PutItem, UpdateItem and DeleteItem requests (every lease write here is one conditional UpdateItem). " +
        "A listing is one Query of the group index, which reads only the group's rows (see lease-table-sim for the trade against a Scan).",
      ],
    };
  } finally {
    await servers.close();
  }
}

async function redisSection(context: BenchContext): Promise<Section> {
  const title = "RedisCheckPointer commands at the guide's defaults (redis-server)";
  if (findOnPath("redis-server") === undefined) {
    return {
      title,
      baseline: "guide's cost model",
      rows: [{ name: "not measured: redis-server is not on PATH", unit: "", better: "lower", ours: Number.NaN }],
      notes: ["Install it with `apt-get install -y redis-server` to measure this section."],
    };
  }
  const server = await startRedis();
  const client = await connectRedis(server.url);
  try {
    // Never paused: only its record of every command that reached Redis is used.
    const tapped = pausableRedis(client);
    const scriptOf = new Map<string, string>();
    const scripts = { TAKE, OWNER_WRITE, REQUEST_HANDOFF, LIST_ROWS, READ_ROW };
    for (const [name, source] of Object.entries(scripts)) {
      scriptOf.set(await sha1Hex(source), name);
      scriptOf.set(source, name);
      // A server that has run the library before knows the scripts. On a fresh one every first
      // EVALSHA (4 at once, one per lease) is answered NOSCRIPT and resent as EVAL: a one-off that
      // would be multiplied by 1,440 in the per-day row. Load them first, outside the counts.
      await client.sendCommand(["SCRIPT", "LOAD", source]);
    }
    const writeScripts = new Set(["TAKE", "OWNER_WRITE", "REQUEST_HANDOFF"]);
    const backend: Backend = {
      async open(stream, clock) {
        const store = new RedisCheckPointer({ name: GROUP, client: tapped, ...DEFAULTS, clock });
        return { store, session: await store.start({ streamName: stream }) };
      },
      counts() {
        let writes = 0;
        let lists = 0;
        for (const args of tapped.delivered()) {
          // EVALSHA <sha> ... or, when Redis has not cached the script yet, EVAL <source> ...
          const script = args[0] === "EVALSHA" || args[0] === "EVAL" ? scriptOf.get(args[1] ?? "") : undefined;
          if (script === undefined) continue;
          if (writeScripts.has(script)) writes++;
          else if (script === "LIST_ROWS") lists++;
        }
        return { writes, lists };
      },
    };
    const figures = await measureFigures(backend, (message) => context.log(`Redis ${message}`));
    return {
      title,
      baseline: "guide's cost model",
      rows: figureRows(figures, "commands", "list scripts"),
      notes: [
        ...commonNotes(figures, "commands"),
        "Commands are the write scripts (take, owner write, handoff request), each one EVALSHA. The scripts are loaded before counting: " +
        "on a fresh server the first use of each costs one more command per concurrent caller (NOSCRIPT, then EVAL), once. " +
        "The list script reads the group's index and every row of the stream.",
      ],
    };
  } finally {
    await client.close();
    await server.close();
  }
}
