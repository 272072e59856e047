import { beforeAll, describe, expect, it } from "vitest";
import { RedisCheckPointer, type RedisCheckPointerOptions } from "../../src/checkpointers/redis/store.ts";
import { CheckpointError, ConfigError, type LeaseLostError, RedisCommandError } from "../../src/errors.ts";
import { uniqueName } from "../support/clients.ts";
import { command, type NodeRedis, pausableRedis, rawHash } from "../support/redis-clients.ts";
import { useRedisFixture } from "../support/redis-fixture.ts";

/**
 * What RedisCheckPointer leaves in Redis and how it talks to it: namespaced keys, TTLs, script
 * caching, options, errors, and a close that leaves nothing running.
 */

const fixture = useRedisFixture();
const store = fixture.store;
let redis: NodeRedis;
beforeAll(() => {
  redis = fixture.redis;
});

const pttl = async (key: string): Promise<number> => Number(await command(redis, "PTTL", key));
const HOUR = 3_600_000;

describe("RedisCheckPointer keys", () => {
  it("keeps two groups on one server apart, on the same stream and shard", async () => {
    const stream = uniqueName("s");
    const [one, two] = [store(uniqueName("analytics")), store(uniqueName("archival"))];
    const a = await one.start({ streamName: stream });
    const b = await two.start({ streamName: stream });
    expect(await a.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    expect(await b.allocate("shard-0", { totalShards: 1 })).toBeDefined(); // alone in its group
    a.checkpoint("shard-0", "10");
    b.checkpoint("shard-0", "20");
    await Promise.all([one.manualCheckpoint(), two.manualCheckpoint()]);
    expect(await a.get("shard-0")).toMatchObject({ owner: a.ref, sequence: "10" });
    expect(await b.get("shard-0")).toMatchObject({ owner: b.ref, sequence: "20" });
    expect((await one.listCheckpoints()).map((r) => [r.streamName, r.shardId, r.owner, r.sequence])).toEqual([[stream, "shard-0", a.ref, "10"]]);
    expect((await two.listCheckpoints({ streamName: stream })).map((r) => r.sequence)).toEqual(["20"]);
    expect(await rawHash(redis, `async-kinesis:{${one.name}}:${stream}:shard-0`)).toMatchObject({ ref: a.ref, sequence: "10", group: one.name });
  });

  it("keeps two key prefixes apart, and a stream ARN shares its name's keys", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const blue = await store(group, { keyPrefix: "blue" }).start({ streamName: `arn:aws:kinesis:us-east-1:123456789012:stream/${stream}` });
    const green = await store(group, { keyPrefix: "green" }).start({ streamName: stream });
    expect(await blue.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    expect(await green.allocate("shard-0", { totalShards: 1 })).toBeDefined();
    expect((await rawHash(redis, `blue:{${group}}:${stream}:shard-0`))["ref"]).toBe(blue.ref);
    expect((await rawHash(redis, `green:{${group}}:${stream}:shard-0`))["ref"]).toBe(green.ref);
  });

  it("lists every stream of the group with owner, sequence and last update, and drops expired rows from it", async () => {
    const group = uniqueName("g");
    const checkpointer = store(group);
    const [s1, s2] = [uniqueName("s1"), uniqueName("s2")];
    const one = await checkpointer.start({ streamName: s1 });
    const two = await checkpointer.start({ streamName: s2 });
    await one.allocate("shard-0", { totalShards: 2 });
    await one.allocate("shard-1", { totalShards: 2 });
    await two.allocate("shard-0", { totalShards: 1 });
    one.checkpoint("shard-1", "7");
    await checkpointer.manualCheckpoint();
    const listed = await checkpointer.listCheckpoints();
    expect(listed.map((r) => [r.streamName, r.shardId, r.owner, r.sequence, r.finished])).toEqual([
      [s1, "shard-0", one.ref, undefined, false],
      [s1, "shard-1", one.ref, "7", false],
      [s2, "shard-0", two.ref, undefined, false],
    ]);
    for (const row of listed) expect(Math.abs(row.updatedAt! - Date.now())).toBeLessThan(60_000);
    await command(redis, "DEL", `async-kinesis:{${group}}:${s2}:shard-0`); // as if its TTL ran out
    expect((await checkpointer.listCheckpoints()).map((r) => r.streamName)).toEqual([s1, s1]);
    expect(await command(redis, "SISMEMBER", `async-kinesis:{${group}}`, s2)).toBe(0);
  });

  it("sets a TTL of ttlHours on every key, pushes it forward with heartbeats, and keeps a finished shard for retention + ttlHours", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const session = await store(group, { ttlHours: 1 }).start({ streamName: stream, retentionHours: 48 });
    await session.allocate("shard-0", { totalShards: 2 });
    await session.allocate("shard-1", { totalShards: 2 });
    const row = `async-kinesis:{${group}}:${stream}:shard-0`;
    const indexes = [`async-kinesis:{${group}}:${stream}`, `async-kinesis:{${group}}`];
    for (const key of [row, ...indexes]) {
      expect(await pttl(key)).toBeGreaterThan(HOUR - 60_000);
      expect(await pttl(key)).toBeLessThanOrEqual(HOUR);
    }
    await command(redis, "PEXPIRE", row, "5000");
    await new Promise((r) => setTimeout(r, 700)); // two heartbeats
    expect(await pttl(row)).toBeGreaterThan(HOUR - 60_000);

    await session.finish("shard-0", "99");
    expect(await pttl(row)).toBeGreaterThan(49 * HOUR - 60_000);
    for (const key of indexes) expect(await pttl(key)).toBeGreaterThan(49 * HOUR - 60_000); // indexes outlive their rows
    await session.release("shard-1");
    expect(await pttl(`async-kinesis:{${group}}:${stream}:shard-1`)).toBeLessThanOrEqual(HOUR);
    expect(await pttl(indexes[0]!)).toBeGreaterThan(49 * HOUR - 60_000); // never pulled in
  });

  it("sends a script's source again (EVAL) when the server has forgotten it (NOSCRIPT)", async () => {
    const client = pausableRedis(redis);
    const session = await store(uniqueName("g"), { client }).start({ streamName: uniqueName("s") });
    await session.allocate("shard-0", { totalShards: 2 });
    const evals = client.sent("EVAL");
    await command(redis, "SCRIPT", "FLUSH");
    expect(await session.allocate("shard-1", { totalShards: 2 })).toBeDefined();
    expect(client.sent("EVAL")).toBeGreaterThan(evals);
    await session.get("shard-1"); // its own script was flushed too: sent once more
    const before = client.sent("EVAL");
    await session.get("shard-1");
    expect(client.sent("EVAL")).toBe(before); // cached again: by hash from now on
  });

  it("closes by flushing, then releasing, and leaves no timer running", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const baseline = timers();
    const checkpointer = store(group, { sessionTimeout: 60, heartbeatFrequency: 15, checkpointInterval: 30 });
    const session = await checkpointer.start({ streamName: stream });
    const lease = (await session.allocate("shard-0", { totalShards: 1 }))!;
    session.checkpoint("shard-0", "42"); // coalesced: not written before close
    expect((await rawHash(redis, `async-kinesis:{${group}}:${stream}:shard-0`))["sequence"]).toBeUndefined();
    expect(timers()).toBeGreaterThan(baseline);
    await checkpointer.close();
    expect((lease.signal.reason as LeaseLostError).reason).toBe("released");
    const row = await rawHash(redis, `async-kinesis:{${group}}:${stream}:shard-0`);
    expect(row["sequence"]).toBe("42");
    expect(row["ref"]).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(timers()).toBeLessThanOrEqual(baseline);
    await expect(session.allocate("shard-1", { totalShards: 2 })).rejects.toThrow(/closed/);
  });

  it("turns a Redis error reply into a RedisCommandError with its reply code, and a failed flush into a CheckpointError", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const checkpointer = store(group, { autoCheckpoint: false });
    const session = await checkpointer.start({ streamName: stream });
    await command(redis, "SET", `async-kinesis:{${group}}:${stream}:shard-9`, "not a hash");
    const error = await session.allocate("shard-9", { totalShards: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisCommandError);
    expect(error).toMatchObject({ code: "REDIS", replyCode: "WRONGTYPE", retryable: false });

    let failing = false;
    const flaky = { sendCommand: (args: string[]) => (failing ? Promise.reject(new Error("Socket closed unexpectedly")) : redis.sendCommand(args)) };
    const other = store(group, { client: flaky, autoCheckpoint: false });
    const otherSession = await other.start({ streamName: stream });
    await otherSession.allocate("shard-0", { totalShards: 1 });
    otherSession.checkpoint("shard-0", "5");
    failing = true;
    const flushError = await other.manualCheckpoint().catch((e: unknown) => e);
    expect(flushError).toBeInstanceOf(CheckpointError);
    expect((flushError as CheckpointError).failures[0]).toMatchObject({ shardId: "shard-0", error: { name: "RedisCommandError", retryable: true } });
    failing = false;
    await other.manualCheckpoint(); // still buffered: written now
    expect((await otherSession.get("shard-0"))?.sequence).toBe("5");
  });

  it("rejects bad options with a ConfigError naming the option", async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ client: redis }, "name"],
      [{ name: "a/b", client: redis }, "name"],
      [{ name: "g" }, "client"],
      [{ name: "g", client: { get: () => undefined } }, "client"],
      [{ name: "g", client: redis, sessionTimeout: 10, heartbeatFrequency: 10 }, "heartbeatFrequency"],
      [{ name: "g", client: redis, keyPrefix: "a{b}" }, "keyPrefix"],
      [{ name: "g", client: redis, ttlHours: 0 }, "ttlHours"],
      [{ name: "g", client: redis, checkpointInterval: "5" }, "checkpointInterval"],
      [{ name: "g", client: redis, clock: {} }, "clock"],
    ];
    for (const [options, option] of bad) {
      let error: unknown;
      try {
        new RedisCheckPointer(options as unknown as RedisCheckPointerOptions);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(Object.keys(options))).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).option).toBe(option);
    }
    const defaults = store("g");
    await expect(defaults.start({ streamName: "a:b" })).rejects.toMatchObject({ name: "ConfigError", option: "streamName" });
    expect([defaults.keyPrefix, defaults.autoCheckpoint]).toEqual(["async-kinesis", true]);
  });
});
