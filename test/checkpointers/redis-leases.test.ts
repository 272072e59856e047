import { beforeAll, describe, expect, it } from "vitest";
import { OWNER_WRITE } from "../../src/checkpointers/redis/lua.ts";
import { uniqueName } from "../support/clients.ts";
import { redisLeaseDriver } from "../support/lease-drivers/redis.ts";
import { command, type NodeRedis, rawHash } from "../support/redis-clients.ts";
import { redisRowKey, useRedisFixture } from "../support/redis-fixture.ts";
import { runLeaseSuite } from "./lease-suite.ts";

/**
 * The lease behaviour suite against a real redis-server, several checkpointers standing in for
 * several processes; and what only Redis has: the fencing conditions inside the Lua script itself.
 */

const fixture = useRedisFixture();
const store = fixture.store;
let redis: NodeRedis;
beforeAll(() => {
  redis = fixture.redis;
});

runLeaseSuite("RedisCheckPointer (redis-server)", redisLeaseDriver(fixture));

describe("RedisCheckPointer lease scripts", () => {
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
});
