/**
 * listCheckpoints: one row per shard (rows or not) with owner, liveness, sequence, lag and finished,
 * and the operator table made of them.
 */
import { describe, expect, it } from "vitest";
import { formatCheckpointTable, formatLag } from "../../src/admin/format.ts";
import { listCheckpoints } from "../../src/admin/list.ts";
import { createStream, localKinesis, uniqueName } from "../support/clients.ts";
import { useRedisFixture } from "../support/redis-fixture.ts";
import { consumeAll, consumerOf, dynamoCheckPointer, putNumbers } from "./support.ts";

const redis = useRedisFixture();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("listCheckpoints", () => {
  it("gives each shard its sequence and lag: the age of the oldest unread record, 0 when caught up, unknown without a position", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 3, "list-lag");
    const put = await putNumbers(stream, 0, 30);
    const group = uniqueName("g");
    // Read everything, then add records to one shard only: that shard is behind, the others caught up.
    await consumeAll(consumerOf(stream, redis.store(group)));
    const behind = put[0]!.shardId;
    const onBehind = put.filter((r) => r.shardId === behind).map((r) => `k${r.n}`);
    await kinesis.putRecords(stream, [{ data: new TextEncoder().encode(JSON.stringify({ n: 99 })), partitionKey: onBehind[0]! }]);
    await sleep(1200);

    const rows = await listCheckpoints({ store: redis.store(group), stream, kinesis });
    expect(rows.map((r) => r.shardId)).toEqual(["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]);
    for (const row of rows) {
      const last = put.filter((r) => r.shardId === row.shardId).at(-1);
      expect(row.sequence).toBe(last?.sequence);
      expect(row.owner).toBeUndefined(); // the consumer closed: leases released
      expect(row.live).toBe(false);
      expect(row.noRow).toBe(false);
      if (row.shardId === behind) {
        expect(row.lagSource).toBe("oldest-unread");
        expect(row.lagMs).toBeGreaterThanOrEqual(1000);
      } else {
        expect(row.lagSource).toBe("millis-behind");
        expect(row.lagMs).toBe(0);
      }
    }
    const text = formatCheckpointTable(rows);
    expect(text.split("\n")[0]).toMatch(/^SHARD\s+OWNER\s+SEQUENCE\s+LAG\s+LAST UPDATE\s+FINISHED$/);
    expect(text).toContain(rows[0]!.sequence!);
  });

  it("shows a live owner while a consumer runs, and shards without a row as such", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 2, "list-live");
    await putNumbers(stream, 0, 6);
    const group = uniqueName("g");
    const running = consumerOf(stream, dynamoCheckPointer(group), { idleTimeout: undefined, maxShardConsumers: 1 });
    const iterator = running[Symbol.asyncIterator]();
    await iterator.next();
    await sleep(400);
    try {
      const rows = await listCheckpoints({ store: dynamoCheckPointer(group), stream, kinesis });
      const held = rows.filter((r) => !r.noRow);
      expect(held).toHaveLength(1);
      expect(held[0]!.owner?.startsWith(`${group}/`)).toBe(true);
      expect(held[0]!.live).toBe(true);
      const free = rows.filter((r) => r.noRow);
      expect(free).toHaveLength(1);
      expect(free[0]!.lagSource).toBe("unknown");
      expect(formatLag(free[0]!)).toBe("unknown");
      expect(formatCheckpointTable(rows)).toContain("(no row)");
    } finally {
      await running.close();
    }
  });

  it("formats lag for people", () => {
    expect(formatLag({ lagMs: 0 })).toBe("0s");
    expect(formatLag({ lagMs: 42_400 })).toBe("42s");
    expect(formatLag({ lagMs: 185_000 })).toBe("3m05s");
    expect(formatLag({ lagMs: 7_800_000 })).toBe("2h10m");
    expect(formatLag({ lagMs: undefined })).toBe("unknown");
  });
});
