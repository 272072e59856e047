import { afterEach, describe, expect, it } from "vitest";
import { addGroupIndex, GROUP_INDEX, groupIndexStatus } from "../../src/checkpointers/dynamodb/group-index.ts";
import { type DynamoDBCheckPointerEvent, INDEX_RECHECK_MS } from "../../src/checkpointers/dynamodb/group-listing.ts";
import { DynamoDBCheckPointer, type DynamoDBCheckPointerOptions } from "../../src/checkpointers/dynamodb/store.ts";
import type { CheckpointSession } from "../../src/checkpointers/types.ts";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import { systemClock } from "../../src/internal/clock.ts";
import { testCredentials, uniqueName } from "../support/clients.ts";
import { until } from "../support/until.ts";

/**
 * The group index (src/checkpointers/dynamodb/group-index.ts) on one server: allocation reads its group's
 * rows by Query, an old table without the index keeps working, and a lagging index answer never breaks
 * fencing. Run on dynalite and on DynamoDB Local (`canAddIndex`: whether UpdateTable really builds a new
 * index there; dynalite accepts the request and builds nothing).
 */

interface Exchange {
  operation: string;
  body: Record<string, unknown>;
  status: number;
  answer: Record<string, unknown>;
}

/** Records every request and answer; `staleQueries` are served instead of the server's answer, one per Query. */
class RecordingFetch {
  readonly exchanges: Exchange[] = [];
  readonly staleQueries: string[] = [];
  readonly fetch: typeof fetch = async (input, init) => {
    const target = new Headers(init?.headers).get("x-amz-target") ?? "";
    const operation = target.slice(target.lastIndexOf(".") + 1);
    const body = JSON.parse(String(init?.body ?? "{}")) as Record<string, unknown>;
    const stale = operation === "Query" ? this.staleQueries.shift() : undefined;
    const response = stale === undefined
      ? await globalThis.fetch(input, init)
      : new Response(stale, { status: 200, headers: { "content-type": "application/x-amz-json-1.0" } });
    const text = await response.clone().text();
    this.exchanges.push({ operation, body, status: response.status, answer: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) });
    return response;
  };

  operations(): string[] {
    return this.exchanges.map((e) => e.operation);
  }

  /** The raw answer of the last Query, to be served again later as a lagging index would. */
  lastQueryAnswer(): string {
    const last = this.exchanges.filter((e) => e.operation === "Query").at(-1);
    if (last === undefined) throw new Error("no Query was sent");
    return JSON.stringify(last.answer);
  }
}

export function runGroupIndexSuite(label: string, endpoint: () => string, canAddIndex: boolean): void {
  describe(`group index (${label})`, () => {
    const open: DynamoDBCheckPointer[] = [];
    afterEach(async () => {
      await Promise.allSettled(open.splice(0).map((store) => store.close()));
    });

    const client = (): DynamoDBClient => new DynamoDBClient({ endpoint: endpoint(), region: "us-east-1", credentials: testCredentials });
    const store = (options: Partial<DynamoDBCheckPointerOptions> & { tableName: string }): DynamoDBCheckPointer => {
      const made = new DynamoDBCheckPointer({ name: "g", endpoint: endpoint(), region: "us-east-1", credentials: testCredentials, ...options });
      open.push(made);
      return made;
    };

    /** A table as the guide and earlier versions made it: the key, on-demand, no index. */
    async function oldTable(): Promise<string> {
      const tableName = uniqueName("old-table");
      await client().createTable({
        TableName: tableName,
        KeySchema: [{ AttributeName: "shard_id", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "shard_id", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      });
      await client().waitForTableActive(tableName);
      return tableName;
    }

    /** Rows as an earlier version left them: held, checkpointed, and one finished (SHARD_END, never written again). */
    async function writeOldRows(tableName: string): Promise<void> {
      const old = store({ tableName, groupIndex: false, createTable: false });
      const session = await old.start({ streamName: "s" });
      for (const shardId of ["shard-0", "shard-1"]) expect(await session.allocate(shardId, { totalShards: 2 })).toBeDefined();
      session.checkpoint("shard-0", "100");
      await session.finish("shard-1", "200");
      await old.close();
    }

    it("allocation reads only its group's rows with Query, never Scan", async () => {
      const tableName = uniqueName("query-table");
      // Another group's rows share the table: a Scan would read them, the group's Query must not.
      const other = await store({ tableName, name: "h" }).start({ streamName: "s" });
      for (let i = 0; i < 5; i++) expect(await other.allocate(`shard-${i}`, { totalShards: 5 })).toBeDefined();

      const tap = new RecordingFetch();
      const mine = store({ tableName, fetch: tap.fetch });
      const session = await mine.start({ streamName: "s" });
      expect(mine.groupListing).toBe("query");
      expect(await session.allocate("shard-0", { totalShards: 2 })).toBeDefined();
      expect(await session.allocate("shard-1", { totalShards: 2 })).toBeDefined();
      expect((await session.list()).map((row) => row.shardId).sort()).toEqual(["shard-0", "shard-1"]);

      expect(tap.operations()).not.toContain("Scan");
      const queries = tap.exchanges.filter((e) => e.operation === "Query");
      expect(queries.length).toBeGreaterThanOrEqual(2);
      for (const query of queries) {
        expect(query.body).toMatchObject({ IndexName: GROUP_INDEX, ExpressionAttributeValues: { ":group": { S: "g" }, ":prefix": { S: "g#s#" } } });
        // Read units follow the items the key condition selects: never group h's five rows.
        expect(Number(query.answer["ScannedCount"])).toBeLessThanOrEqual(2);
      }
    });

    it("listCheckpoints before any start() reads by the index too", async () => {
      const tableName = uniqueName("listing-table");
      const writer = await store({ tableName }).start({ streamName: "s" });
      expect(await writer.allocate("shard-0", { totalShards: 1 })).toBeDefined();
      const tap = new RecordingFetch();
      const monitor = store({ tableName, createTable: false, fetch: tap.fetch });
      expect((await monitor.listCheckpoints({ streamName: "s" })).map((row) => row.shardId)).toEqual(["shard-0"]);
      expect(tap.operations()).toEqual(["DescribeTable", "Query"]);
    });

    it("creates its table with the group index, and says nothing", async () => {
      const tap = new RecordingFetch();
      const events: DynamoDBCheckPointerEvent[] = [];
      const created = store({ tableName: uniqueName("new-table"), fetch: tap.fetch, onEvent: (event) => events.push(event) });
      await created.start({ streamName: "s" });
      const create = tap.exchanges.find((e) => e.operation === "CreateTable");
      expect(create?.body).toMatchObject({
        BillingMode: "PAY_PER_REQUEST",
        KeySchema: [{ AttributeName: "shard_id", KeyType: "HASH" }],
        GlobalSecondaryIndexes: [{
          IndexName: GROUP_INDEX,
          KeySchema: [{ AttributeName: "group", KeyType: "HASH" }, { AttributeName: "shard_id", KeyType: "RANGE" }],
        }],
      });
      expect(tap.operations()).not.toContain("UpdateTable");
      expect(events).toEqual([]);
    });

    if (canAddIndex) {
      it("an existing table without the index gains it and rows written before it are found", async () => {
        const tableName = await oldTable();
        await writeOldRows(tableName);

        const tap = new RecordingFetch();
        const events: DynamoDBCheckPointerEvent[] = [];
        // The monotonic clock can be moved past the index's re-check interval (no lease is held meanwhile).
        const clock = { ...systemClock, skipped: 0, monotonic: () => performance.now() + clock.skipped };
        const upgraded = store({ tableName, fetch: tap.fetch, clock, onEvent: (event) => events.push(event) });
        const session = await upgraded.start({ streamName: "s" });
        expect(tap.exchanges.find((e) => e.operation === "UpdateTable")?.body).toMatchObject({
          GlobalSecondaryIndexUpdates: [{ Create: { IndexName: GROUP_INDEX } }],
          AttributeDefinitions: [{ AttributeName: "group", AttributeType: "S" }],
        });
        if (upgraded.groupListing === "building") {
          // Until the index is ACTIVE, rows are read by Scan (a Query would miss what is not copied yet).
          await session.list();
          expect(tap.operations().at(-1)).toBe("Scan");
          await until("the index is ACTIVE", async () => groupIndexStatus(await client().describeTable(tableName)) === "active", 30_000);
          clock.skipped += INDEX_RECHECK_MS;
        }
        const scansBefore = tap.operations().filter((operation) => operation === "Scan").length;
        const rows = await session.list();
        expect(upgraded.groupListing).toBe("query");
        expect(rows.map((row) => [row.shardId, row.sequence, row.finished]).sort()).toEqual([
          ["shard-0", "100", false],
          ["shard-1", "200", true],
        ]);
        // The old, released row is taken from where it was checkpointed; the finished one is not taken again.
        expect((await session.allocate("shard-0", { totalShards: 2 }))?.sequence).toBe("100");
        expect(await session.allocate("shard-1", { totalShards: 2 })).toBeUndefined();
        expect(tap.operations().filter((operation) => operation === "Scan")).toHaveLength(scansBefore);
        expect(events).toEqual([]);
      });
      it("with createTable false, an index added by hand is used once ACTIVE, without a restart", async () => {
        const tableName = await oldTable();
        await writeOldRows(tableName);
        const tap = new RecordingFetch();
        const events: DynamoDBCheckPointerEvent[] = [];
        const clock = { ...systemClock, skipped: 0, monotonic: () => performance.now() + clock.skipped };
        const kept = store({ tableName, createTable: false, fetch: tap.fetch, clock, onEvent: (event) => events.push(event) });
        const session = await kept.start({ streamName: "s" });
        expect(kept.groupListing).toBe("scan");
        expect(events).toHaveLength(1);

        await addGroupIndex(client(), tableName); // what the operator runs (docs: "Cost at scale")
        await until("the index is ACTIVE", async () => groupIndexStatus(await client().describeTable(tableName)) === "active", 30_000);
        await session.list();
        expect(tap.operations().at(-1)).toBe("Scan"); // not looked at again before INDEX_RECHECK_MS
        clock.skipped += INDEX_RECHECK_MS;
        expect((await session.list()).map((row) => row.shardId).sort()).toEqual(["shard-0", "shard-1"]);
        expect(kept.groupListing).toBe("query");
        expect(tap.operations().slice(-2)).toEqual(["DescribeTable", "Query"]);
        expect(events).toHaveLength(1);
      });
    } else {
      it("on a server that accepts UpdateTable but builds no index, falls back to Scan and says so once", async () => {
        const tableName = await oldTable();
        await writeOldRows(tableName);
        const tap = new RecordingFetch();
        const events: DynamoDBCheckPointerEvent[] = [];
        const upgraded = store({ tableName, fetch: tap.fetch, onEvent: (event) => events.push(event) });
        const session = await upgraded.start({ streamName: "s" });
        expect(tap.operations()).toContain("UpdateTable");
        expect(upgraded.groupListing).toBe("scan");
        expect((await session.list()).map((row) => row.shardId).sort()).toEqual(["shard-0", "shard-1"]);
        expect(events).toMatchObject([{ type: "groupIndexMissing", reason: "not-added", tableName }]);
      });
    }

    it("with createTable false and no index it falls back to Scan and says so once", async () => {
      const tableName = await oldTable();
      await writeOldRows(tableName);
      const tap = new RecordingFetch();
      const events: DynamoDBCheckPointerEvent[] = [];
      const kept = store({ tableName, createTable: false, fetch: tap.fetch, onEvent: (event) => events.push(event) });
      const sessions: CheckpointSession[] = [await kept.start({ streamName: "s" }), await kept.start({ streamName: "t" })];
      for (const session of sessions) await session.list();
      expect((await sessions[0]!.list()).map((row) => row.shardId).sort()).toEqual(["shard-0", "shard-1"]);
      expect(await sessions[0]!.allocate("shard-0", { totalShards: 2 })).toBeDefined();

      expect(kept.groupListing).toBe("scan");
      expect(tap.operations()).toContain("Scan");
      expect(tap.operations()).not.toContain("Query");
      expect(tap.operations()).not.toContain("UpdateTable");
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: "groupIndexMissing", reason: "createTable-false", tableName, indexName: GROUP_INDEX });
      expect(events[0]!.message).toContain("Cost at scale");

      // groupIndex: false is the opt-out: Scan as before, and nothing to say.
      const quiet: DynamoDBCheckPointerEvent[] = [];
      const optedOut = store({ tableName, createTable: false, groupIndex: false, onEvent: (event) => quiet.push(event) });
      await (await optedOut.start({ streamName: "s" })).list();
      expect(optedOut.groupListing).toBe("scan");
      expect(quiet).toEqual([]);
    });

    it("a lagging index delays but never breaks fencing", async () => {
      const tableName = uniqueName("lagging-table");
      // Long heartbeats: nothing renews on its own during the test, so every write is one the test made.
      const timing = { sessionTimeout: 60, heartbeatFrequency: 20 };
      const tap = new RecordingFetch();
      const a = await store({ tableName, ...timing }).start({ streamName: "s" });
      const b = await store({ tableName, ...timing, fetch: tap.fetch }).start({ streamName: "s" });
      const c = await store({ tableName, ...timing }).start({ streamName: "s" });

      await b.list();
      const beforeTheRowExisted = tap.lastQueryAnswer();
      expect(await a.allocate("shard-0", { totalShards: 1 })).toBeDefined();
      await a.release("shard-0");
      await b.list();
      const whileTheRowWasFree = tap.lastQueryAnswer();
      const held = await c.allocate("shard-0", { totalShards: 1 });
      expect(held).toBeDefined();
      const ownerRef = (await c.list())[0]!.owner;

      // b's listing lags: first it shows no row at all (b tries to create it), then the row free (b tries to take it).
      for (const stale of [beforeTheRowExisted, whileTheRowWasFree]) {
        tap.staleQueries.push(stale);
        await b.list();
        const writesBefore = tap.exchanges.length;
        expect(await b.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
        const writes = tap.exchanges.slice(writesBefore).filter((e) => e.operation === "UpdateItem");
        // It did act on the stale picture, and the row's own condition refused it.
        expect(writes.length).toBeGreaterThanOrEqual(1);
        for (const write of writes) expect(String(write.answer["__type"])).toContain("ConditionalCheckFailedException");
      }

      // c still owns the lease, its fencing intact: its checkpoint lands, and its lease was never aborted.
      expect(held!.signal.aborted).toBe(false);
      c.checkpoint("shard-0", "300");
      await c.manualCheckpoint();
      const rows = await b.list();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ shardId: "shard-0", owner: ownerRef, sequence: "300" });
      // With a fresh listing b sees a live owner and leaves the shard alone (no write at all).
      const writesBefore = tap.exchanges.length;
      expect(await b.allocate("shard-0", { totalShards: 1 })).toBeUndefined();
      expect(tap.exchanges.slice(writesBefore).filter((e) => e.operation === "UpdateItem")).toEqual([]);
    });
  });
}
