/**
 * A paused ex-owner: worker A's DynamoDB traffic is held (a GC pause, SIGSTOP or partition as the
 * network sees it) for longer than sessionTimeout while its Kinesis reads go on. A must fence itself
 * (leaseLost, no more records of those shards), B takes the shards over, and when A's held requests
 * finally reach DynamoDB they change nothing in B's rows: no overwrite, no cleared owner, no rolled
 * back checkpoint.
 */
import { afterEach, describe, expect, it } from "vitest";
import { unmarshallItem } from "../../src/dynamodb/marshal.ts";
import { createStream, localDynamo, localKinesis, uniqueName } from "../support/clients.ts";
import { startProducer } from "../support/delivery-checks.ts";
import {
  expectDeliveriesInsideLeases,
  expectEveryRecordDelivered,
  expectExclusiveLeases,
  expectResumedAfterCheckpoint,
  HANDED_OVER_GRACE_MS,
  sleep,
  spansOf,
  until,
  untilAllDelivered,
} from "./checks.ts";
import { type FleetPlace, FleetWorker, HEARTBEAT, SESSION_TIMEOUT, shardCounts, watchOwnership } from "./fleet.ts";
import { fetchGate } from "./gate.ts";

const kinesis = localKinesis();
const dynamo = localDynamo();
const tableName = uniqueName("fleet-paused");
const running: FleetWorker[] = [];
const stops: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await Promise.allSettled(stops.splice(0).map((stop) => stop()));
  await Promise.allSettled(running.splice(0).map((w) => w.close()));
});

/** The rows as stored, read past every worker (consistent read on the table itself). */
async function rawRows(where: FleetPlace, shardIds: readonly string[]): Promise<Record<string, Record<string, unknown>>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const shardId of shardIds) {
    const item = await dynamo.getItem(where.tableName, { shard_id: { S: `${where.group}#${where.streamName}#${shardId}` } }, { consistentRead: true });
    out[shardId] = item === undefined ? {} : unmarshallItem(item);
  }
  return out;
}

/** Everything but `pending_owner`, which anyone may set (a handoff request leaves the owner's fencing alone). */
function ownerState(rows: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(rows).map(([shardId, { pending_owner: _, ...rest }]) => [shardId, rest]));
}

describe("a paused ex-owner (its DynamoDB traffic held past sessionTimeout)", () => {
  it("fences itself with leaseLost and stops delivering those shards; its late writes cannot overwrite, clear or roll back the new owner's rows", async () => {
    const where: FleetPlace = { streamName: await createStream(kinesis, 4, "fleet-paused"), tableName, group: uniqueName("g") };
    const producer = startProducer(kinesis, where.streamName, { prefix: "paused", batch: 8, pauseMs: 40, max: 1_000_000 });
    stops.push(() => producer.stop());
    const gateA = fetchGate();
    const gateB = fetchGate();
    const a = new FleetWorker("A", where, { dynamoFetch: gateA.fetch });
    running.push(a);
    await until(() => a.shards.length === 4, "A reading all four shards");
    const b = new FleetWorker("B", where, { dynamoFetch: gateB.fetch });
    running.push(b);
    const workers = [a, b];
    const watch = watchOwnership(workers);
    stops.push(async () => watch.stop());
    await until(() => shardCounts(workers).join() === "2,2", "a 2+2 split");
    await sleep(700);

    const paused = [...a.shards];
    const pausedAt = Date.now();
    gateA.shut();
    await until(() => paused.every((s) => b.shards.includes(s)), "B taking A's shards", (SESSION_TIMEOUT + 2 * HEARTBEAT) * 1000 + 3000);
    const lost = (shardId: string) => a.eventsOf("leaseLost").find((e) => e.event.shardId === shardId && e.at >= pausedAt);
    for (const shardId of paused) expect(lost(shardId), `A reported losing ${shardId}`).toBeDefined();
    // B has renewed and checkpointed its new rows a few times.
    await sleep(3 * HEARTBEAT * 1000);

    // Freeze B's row writes for a moment, so any change to its rows can only come from A's late requests.
    gateB.shut();
    await gateB.idle();
    const before = await rawRows(where, paused);
    for (const shardId of paused) expect(before[shardId]!["ref"]).toMatch(new RegExp(`^${where.group}/`));
    const aRefs = new Set(paused.map((s) => before[s]!["ref"]));
    expect(aRefs.size).toBe(1);
    const heldWrites = gateA.held();
    const late = await gateA.open();
    // Let A act on what its late requests returned (it may ask B for a handoff: allowed, it leaves B's fencing alone).
    await sleep(300);
    const after = await rawRows(where, paused);
    await gateB.open();

    expect(heldWrites).toBeGreaterThan(0);
    const lateWrites = late.filter((answer) => answer.operation === "UpdateItem");
    expect(lateWrites.length, "A's renewals and release reached DynamoDB late").toBeGreaterThanOrEqual(paused.length);
    for (const answer of lateWrites) expect(answer).toEqual({ operation: "UpdateItem", status: 400, errorCode: "ConditionalCheckFailedException" });
    expect(ownerState(after)).toEqual(ownerState(before));

    await sleep(1000);
    const puts = await producer.stop();
    await untilAllDelivered(workers, puts);
    await Promise.all(workers.map((w) => w.close()));
    watch.stop();

    const all = workers.flatMap((w) => w.deliveries);
    const spans = spansOf(workers);
    expect(watch.overlaps, "a shard read by two consumers at once").toEqual([]);
    expectExclusiveLeases(spans);
    expectDeliveriesInsideLeases(all, spans);
    const summary = expectEveryRecordDelivered(puts, all, spans);

    const report: string[] = [];
    for (const shardId of paused) {
      const lostAt = lost(shardId)!.at;
      // Self-fenced: the typed reason says expired, the message says why.
      expect(lost(shardId)!.event).toMatchObject({ reason: "expired", message: expect.stringMatching(/sessionTimeout/) });
      const taken = spans.find((s) => s.worker === "B" && s.shardId === shardId && s.from >= pausedAt)!;
      expect(lostAt, `A stopped ${shardId} before B took it`).toBeLessThanOrEqual(taken.from);
      expectResumedAfterCheckpoint(taken, puts, all);
      // Kinesis kept flowing to A while it was paused: it really delivered until it fenced itself, and never after.
      const aOnShard = all.filter((d) => d.worker === "A" && d.shardId === shardId);
      const back = spans.find((s) => s.worker === "A" && s.shardId === shardId && s.from > lostAt)?.from ?? Number.POSITIVE_INFINITY;
      expect(aOnShard.filter((d) => d.at > pausedAt && d.at <= lostAt).length, `A delivered ${shardId} while paused`).toBeGreaterThan(0);
      expect(aOnShard.filter((d) => d.at > lostAt + HANDED_OVER_GRACE_MS && d.at < back)).toEqual([]);
      report.push(`${shardId.replace("shardId-0000000000", "#")}: A fenced ${lostAt - pausedAt} ms, B took ${taken.from - pausedAt} ms after the pause`);
    }
    console.log(
      `[paused owner] ${report.join("; ")}; ${lateWrites.length} late writes all ConditionalCheckFailed; ` +
        `${puts.length} records, ${summary.redelivered} redelivered (what A delivered while its checkpoints were held)`,
    );
  });
});
