import { beforeAll, describe, expect, it } from "vitest";
import { OWNER_WRITE, TAKE } from "../../src/checkpointers/redis/lua.ts";
import { sha1Hex } from "../../src/checkpointers/redis/scripts.ts";
import { LeaseLostError } from "../../src/errors.ts";
import { sleep, type Clock } from "../../src/internal/clock.ts";
import { uniqueName } from "../support/clients.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { command, pausableRedis, rawHash, type NodeRedis, type PausableRedis } from "../support/redis-clients.ts";
import { redisRowKey, useRedisFixture } from "../support/redis-fixture.ts";
import { raceToTake } from "../support/lease-race.ts";
import { until } from "../support/until.ts";

/**
 * The lease protocol against a real redis-server, several checkpointers standing in for several
 * processes: takeover after sessionTimeout with one winner, fencing of a paused ex-owner, lost-lease
 * signalling, and expiry that does not trust another host's clock.
 */

const fixture = useRedisFixture();
const store = fixture.store;
let redis: NodeRedis;
beforeAll(() => {
  redis = fixture.redis;
});

/** How many times a client ran `script` (by hash or by source). */
async function runs(client: PausableRedis, script: string): Promise<number> {
  const sha = await sha1Hex(script);
  return client.delivered().filter((args) => (args[0] === "EVALSHA" && args[1] === sha) || (args[0] === "EVAL" && args[1] === script)).length;
}

describe("RedisCheckPointer leases", () => {
  it("takes over a lease whose counter stopped moving for sessionTimeout, and of three racing takers exactly one wins", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const ownerClient = pausableRedis(redis);
    const owner = await store(group, { client: ownerClient }).start({ streamName: stream });
    const ownerLease = (await owner.allocate("shard-0", { totalShards: 1 }))!;
    owner.checkpoint("shard-0", "5");
    await owner.manualCheckpoint();
    ownerClient.pause(); // the owner stops: its renewals never reach Redis
    const pausedAt = Date.now();

    const takerClients = [pausableRedis(redis), pausableRedis(redis), pausableRedis(redis)];
    const takers = await Promise.all(takerClients.map((client) => store(group, { client }).start({ streamName: stream })));
    const won = await raceToTake(takers, "shard-0");
    expect(won).toHaveLength(1);
    const winner = won[0]!;
    expect(winner.at - pausedAt).toBeGreaterThanOrEqual(1500); // never before sessionTimeout
    expect(winner.lease.sequence).toBe("5"); // resumes after the last checkpoint
    // Every taker raced with its own take script; only one script's condition can have held.
    for (const client of takerClients) expect(await runs(client, TAKE)).toBeGreaterThanOrEqual(1);
    for (const loser of takers.filter((s) => s !== winner.session)) {
      expect(await loser.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      expect((await loser.get("shard-0"))?.owner).toBe(winner.session.ref);
    }
    // The paused owner fenced itself once its renewals had failed for sessionTimeout.
    await until("the paused owner's signal aborts", () => ownerLease.signal.aborted || undefined);
    expect(ownerLease.signal.reason).toBeInstanceOf(LeaseLostError);
    expect((ownerLease.signal.reason as LeaseLostError).reason).toBe("expired");
    ownerClient.resume();
  });

  it("never lets a paused ex-owner overwrite, clear or roll back the new owner's row", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const exClient = pausableRedis(redis);
    const exOwner = await store(group, { client: exClient }).start({ streamName: stream });
    const exLease = (await exOwner.allocate("shard-0", { totalShards: 1 }))!;
    exOwner.checkpoint("shard-0", "100");
    await exOwner.manualCheckpoint();
    exClient.pause();
    exOwner.checkpoint("shard-0", "150"); // its coalesced write is held, like a write sent just before a pause
    await until("a write of the ex-owner is held", () => exClient.heldCount() > 0 || undefined);

    const next = await store(group).start({ streamName: stream });
    const lease = await until("the new owner takes over", () => next.allocate("shard-0", { totalShards: 1 }));
    expect(lease.sequence).toBe("100");
    next.checkpoint("shard-0", "200");
    await next.manualCheckpoint();
    const before = await rawHash(redis, redisRowKey(group, stream, "shard-0"));

    exClient.resume(); // the ex-owner's late writes reach Redis now
    await until("the held writes were delivered", () => exClient.delivered().some((args) => args.includes("150")) || undefined);
    exOwner.checkpoint("shard-0", "300");
    await exOwner.release("shard-0");
    // A finish that could not be written says so (it used to resolve as if the shard were marked).
    await expect(exOwner.finish("shard-0", "400")).rejects.toBeInstanceOf(LeaseLostError);
    await exOwner.manualCheckpoint();
    await exOwner.close();

    const after = await rawHash(redis, redisRowKey(group, stream, "shard-0"));
    expect(after).toMatchObject({ ref: next.ref, sequence: "200", finished: "0" });
    expect(after["lease_counter"]).toBe(before["lease_counter"]);
    expect(exLease.signal.reason).toBeInstanceOf(LeaseLostError);
    expect(lease.signal.aborted).toBe(false);
  });

  it("fences in the script itself: a stale counter, another owner or an older sequence changes nothing", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const key = redisRowKey(group, stream, "shard-0");
    const session = await store(group, { sessionTimeout: 60, heartbeatFrequency: 15 }).start({ streamName: stream });
    await session.allocate("shard-0", { totalShards: 1 });
    session.checkpoint("shard-0", "49590338271490256608559692538361571095921575989136588898");
    await session.manualCheckpoint();
    const row = await rawHash(redis, key);
    const indexes = [`async-kinesis:{${group}}:${stream}`, `async-kinesis:{${group}}`];
    const write = (me: string, counter: string, sequence: string): Promise<unknown> =>
      command(redis, "EVAL", OWNER_WRITE, "3", key, ...indexes, "renew", me, counter, sequence, "1.000", "60000", stream, "shard-0");

    const stale = String(Number(row["lease_counter"]) - 1);
    expect(await write(session.ref, stale, "99999999999999999999999999999999999999999999999999999999999")).toEqual([0, expect.any(Array)]);
    expect(await write(`${group}/intruder`, row["lease_counter"]!, "99999999999999999999999999999999999999999999999999999999999")).toEqual([
      0,
      expect.any(Array),
    ]);
    expect(await rawHash(redis, key)).toEqual(row);
    // The owner's own write with an older sequence (one digit shorter, or equal length and smaller) fails its condition.
    expect(await write(session.ref, row["lease_counter"]!, "9590338271490256608559692538361571095921575989136588898")).toEqual([0, expect.any(Array)]);
    expect(await write(session.ref, row["lease_counter"]!, "49590338271490256608559692538361571095921575989136588897")).toEqual([0, expect.any(Array)]);
    expect(await rawHash(redis, key)).toEqual(row);
    // A later one lands and bumps the counter.
    expect(await write(session.ref, row["lease_counter"]!, "49590338271490256608559692538361571095921575989136588899")).toEqual([1, expect.any(Array)]);
    const renewed = await rawHash(redis, key);
    expect(renewed["sequence"]).toBe("49590338271490256608559692538361571095921575989136588899");
    expect(Number(renewed["lease_counter"])).toBe(Number(row["lease_counter"]) + 1);
  });

  it("aborts a lease taken by another worker with LeaseLostError('taken') and stops only that shard", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const session = await store(group).start({ streamName: stream });
    const lost = (await session.allocate("shard-0", { totalShards: 2 }))!;
    const kept = (await session.allocate("shard-1", { totalShards: 2 }))!;
    // Another worker's takeover, as Redis sees it: a new ref and a bumped counter.
    const key = redisRowKey(group, stream, "shard-0");
    await command(redis, "HSET", key, "ref", `${group}/intruder`);
    await command(redis, "HINCRBY", key, "lease_counter", "1");
    await until("the lost lease aborts", () => lost.signal.aborted || undefined);
    expect(lost.signal.reason).toBeInstanceOf(LeaseLostError);
    expect(lost.signal.reason).toMatchObject({ code: "LEASE_LOST", reason: "taken", owner: `${group}/intruder`, shardId: "shard-0" });
    await new Promise((r) => setTimeout(r, 700)); // two more heartbeats
    expect(kept.signal.aborted).toBe(false);
    expect((await session.get("shard-1"))?.owner).toBe(session.ref);
  });

  it("backs a failed checkpoint write off instead of retrying it at once, and writes it once Redis answers again", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const ownerWriteSha = await sha1Hex(OWNER_WRITE);
    let failing = false;
    let attempts = 0;
    const client = {
      sendCommand: (args: string[]): Promise<unknown> => {
        if (args[1] !== ownerWriteSha && args[1] !== OWNER_WRITE) return redis.sendCommand(args);
        attempts++;
        return failing ? Promise.reject(new Error("Socket closed unexpectedly")) : redis.sendCommand(args);
      },
    };
    const clock = new ManualClock(Date.now());
    // Defaults: heartbeat 15 s, sessionTimeout 60 s, checkpointInterval 5 s.
    const session = await store(group, { client, clock, sessionTimeout: 60, heartbeatFrequency: 15, checkpointInterval: 5 }).start({ streamName: stream });
    expect(await session.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    failing = true;
    attempts = 0;
    session.checkpoint("shard-0", "42");
    for (let t = 0; t < 30_000; t += 500) await clock.advance(500);
    // Full jitter from 100 ms doubling up to one heartbeat: about a dozen attempts in 30 s, never a
    // tight loop (a failed write kept its old due time and was redone at once, hundreds of times).
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(40);
    failing = false;
    await clock.advance(16_000);
    expect((await rawHash(redis, redisRowKey(group, stream, "shard-0")))["sequence"]).toBe("42");
  });

  it("does not take a live owner's lease from a worker whose clock runs an hour ahead", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const owner = await store(group).start({ streamName: stream });
    const ownerLease = (await owner.allocate("shard-0", { totalShards: 1 }))!;
    const ahead: Clock = { now: () => Date.now() + 3_600_000, sleep };
    const skewed = await store(group, { clock: ahead }).start({ streamName: stream });
    const started = Date.now();
    while (Date.now() - started < 2500) {
      expect(await skewed.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ownerLease.signal.aborted).toBe(false);
    expect((await skewed.get("shard-0"))?.owner).toBe(owner.ref);
  });
});
