/**
 * The guide's "Multiple Consumer Groups": two groups on one table (same `tableName`, different
 * `name`) read one stream independently. Each group gets every record, splits the shards among its
 * own workers only, and keeps its own rows and checkpoints.
 */
import { afterEach, describe, expect, it } from "vitest";
import { unmarshallItem } from "../../src/dynamodb/marshal.ts";
import { createStream, localDynamo, localKinesis, uniqueName } from "../support/clients.ts";
import { startProducer } from "../support/delivery-checks.ts";
import {
  compare,
  expectDeliveriesInsideLeases,
  expectEveryRecordDelivered,
  expectExclusiveLeases,
  sleep,
  spansOf,
  until,
  untilAllDelivered,
} from "./checks.ts";
import { type FleetPlace, FleetWorker, shardCounts } from "./fleet.ts";

const kinesis = localKinesis();
const running: FleetWorker[] = [];
const stops: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await Promise.allSettled(stops.splice(0).map((stop) => stop()));
  await Promise.allSettled(running.splice(0).map((w) => w.close()));
});

describe("consumer groups sharing one table", () => {
  it("analytics (two workers) and archival (one worker) on one tableName each get every record, with their own rows and checkpoints", async () => {
    const streamName = await createStream(kinesis, 4, "fleet-groups");
    // The guide's example shares "kinesis-checkpoints"; unique here because the test server is shared.
    const tableName = uniqueName("kinesis-checkpoints");
    const analytics: FleetPlace = { streamName, tableName, group: "analytics" };
    const archival: FleetPlace = { streamName, tableName, group: "archival" };
    const producer = startProducer(kinesis, streamName, { prefix: "groups", batch: 8, pauseMs: 40, max: 1_000_000 });
    stops.push(() => producer.stop());

    const groups = {
      analytics: [new FleetWorker("analytics-1", analytics), new FleetWorker("analytics-2", analytics)],
      archival: [new FleetWorker("archival-1", archival)],
    };
    running.push(...groups.analytics, ...groups.archival);
    // Each group balances among its own workers only: the other group's leases do not count.
    await until(() => shardCounts(groups.analytics).join() === "2,2" && shardCounts(groups.archival).join() === "4", "2+2 in analytics, 4 in archival");
    await sleep(1500);
    const puts = await producer.stop();
    for (const workers of Object.values(groups)) {
      await untilAllDelivered(workers, puts);
    }
    await Promise.all(running.map((w) => w.close()));

    const lastPut = new Map<string, string>();
    for (const put of puts) if (compare(put.sequenceNumber, lastPut.get(put.shardId) ?? "0") > 0) lastPut.set(put.shardId, put.sequenceNumber);
    for (const [name, workers] of Object.entries(groups)) {
      const deliveries = workers.flatMap((w) => w.deliveries);
      const spans = spansOf(workers);
      expectExclusiveLeases(spans);
      expectDeliveriesInsideLeases(deliveries, spans);
      const summary = expectEveryRecordDelivered(puts, deliveries, spans);
      expect(summary.unique, name).toBe(puts.length);
      // The group's own checkpoints, as listCheckpoints (the guide's "View Table Contents") shows them.
      const listed = await workers[0]!.checkpointer.listCheckpoints({ streamName });
      expect(listed.map((row) => ({ shardId: row.shardId, sequence: row.sequence, owner: row.owner }))).toEqual(
        [...lastPut].sort().map(([shardId, sequence]) => ({ shardId, sequence, owner: undefined })),
      );
    }

    // One table, eight rows: each group's four, keyed apart.
    const rows = (await localDynamo().scan({ TableName: tableName, ConsistentRead: true })).map((item) => unmarshallItem(item));
    expect(rows.map((row) => row["shard_id"]).sort()).toEqual(
      ["analytics", "archival"].flatMap((group) => [...lastPut.keys()].sort().map((shardId) => `${group}#${streamName}#${shardId}`)),
    );
    console.log(`[groups] ${puts.length} records, each delivered in both groups; ${rows.length} rows in ${tableName}`);
  });
});
