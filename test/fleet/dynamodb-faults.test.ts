/**
 * Two consumers whose DynamoDBCheckPointers talk to dynalite through the fault proxy (throttling and
 * 5xx, seeded) for longer than a session timeout, while a producer writes: no lease is lost
 * (neither fenced nor taken over), nothing is lost, and after both close (through the same faults)
 * a restarted worker resumes exactly after the last record each shard delivered.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { unmarshallItem } from "../../src/dynamodb/marshal.ts";
import { createStream, localDynamo, localKinesis, uniqueName } from "../support/clients.ts";
import { startProducer } from "../support/delivery-checks.ts";
import { type FaultProxy, type FaultRule, startFaultProxy } from "../support/fault-proxy.ts";
import {
  expectDeliveriesInsideLeases,
  expectEveryRecordDelivered,
  expectExclusiveLeases,
  expectResumedAfterCheckpoint,
  sleep,
  spansOf,
  until,
  untilAllDelivered,
} from "./checks.ts";
import { type FleetPlace, FleetWorker, HEARTBEAT, shardCounts } from "./fleet.ts";

/** Longer than the other fleet tests: one renewal may spend a few seconds in throttling backoff, which is no reason to let go. */
const SESSION_TIMEOUT = 6;

/**
 * About 30% of DynamoDB requests fail: three throttling codes and three 5xx body styles. The
 * checkpointer caps its client's backoff at one heartbeat, so no single renewal sleeps past
 * sessionTimeout however unlucky its retries are.
 */
const FAULTS: FaultRule[] = [
  { probability: 0.1, fault: { kind: "throttle", code: "ProvisionedThroughputExceededException" } },
  { probability: 0.05, fault: { kind: "throttle", code: "ThrottlingException" } },
  { probability: 0.03, fault: { kind: "throttle", code: "RequestLimitExceeded" } },
  { probability: 0.06, fault: { kind: "http-error", status: 500, body: "json" } },
  { probability: 0.04, fault: { kind: "http-error", status: 503, body: "html" } },
  { probability: 0.03, fault: { kind: "http-error", status: 500, body: "empty" } },
];

const kinesis = localKinesis();
let proxy: FaultProxy;
const running: FleetWorker[] = [];
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("dynamodbEndpoint"), seed: 0x5eed_f1ee7 });
});
afterAll(async () => {
  await proxy.close();
});
afterEach(async () => {
  proxy.setRules([]);
  await Promise.allSettled(stops.splice(0).map((stop) => stop()));
  await Promise.allSettled(running.splice(0).map((w) => w.close()));
});

describe("a fleet under DynamoDB throttling and 5xx (fault proxy)", () => {
  it("loses no lease and no checkpoint: a restart resumes exactly after the last committed record", async () => {
    const where: FleetPlace = { streamName: await createStream(kinesis, 4, "fleet-faults"), tableName: uniqueName("fleet-faults"), group: uniqueName("g") };
    const producer = startProducer(kinesis, where.streamName, { prefix: "faults", batch: 8, pauseMs: 40, max: 1_000_000 });
    stops.push(() => producer.stop());
    proxy.setRules(FAULTS);
    const faulty = { dynamoEndpoint: proxy.endpoint, checkpointer: { sessionTimeout: SESSION_TIMEOUT } };
    const first = [new FleetWorker("A", where, faulty), new FleetWorker("B", where, faulty)];
    running.push(...first);
    await until(() => shardCounts(first).join() === "2,2", "a 2+2 split through the faults");
    // Longer than a session timeout: a lease survives only if its renewals keep getting through.
    await sleep((SESSION_TIMEOUT + 2 * HEARTBEAT) * 1000);
    const closeAt = Date.now();
    await Promise.all(first.map((w) => w.close()));
    const stats = proxy.stats();
    proxy.setRules([]);

    // close() wrote, through the faults, every record delivered as the checkpoint of its shard.
    const beforeRestart = first.flatMap((w) => w.deliveries);
    const lastDelivered = new Map<string, string>();
    for (const d of beforeRestart) if (BigInt(d.sequenceNumber) > BigInt(lastDelivered.get(d.shardId) ?? "0")) lastDelivered.set(d.shardId, d.sequenceNumber);
    expect(lastDelivered.size).toBe(4);
    const stored = new Map<string, unknown>();
    for (const shardId of lastDelivered.keys()) {
      const item = await localDynamo().getItem(where.tableName, { shard_id: { S: `${where.group}#${where.streamName}#${shardId}` } }, { consistentRead: true });
      stored.set(shardId, item === undefined ? undefined : unmarshallItem(item)["sequence"]);
    }
    expect(stored).toEqual(lastDelivered);

    const restarted = new FleetWorker("R", where);
    running.push(restarted);
    await until(() => restarted.shards.length === 4, "the restarted worker reading all four shards");
    await sleep(500);
    const puts = await producer.stop();
    const workers = [...first, restarted];
    await untilAllDelivered(workers, puts);
    await restarted.close();

    const all = workers.flatMap((w) => w.deliveries);
    const spans = spansOf(workers);
    for (const w of workers) expect(w.eventsOf("leaseLost"), `${w.name} lost a lease`).toEqual([]);
    const moves = expectExclusiveLeases(spans);
    expectDeliveriesInsideLeases(all, spans);
    const summary = expectEveryRecordDelivered(puts, all, spans);
    // The restart resumes exactly after the committed record: not one record from before comes again.
    for (const span of spans.filter((s) => s.worker === "R")) {
      expect(span.sequence).toBe(lastDelivered.get(span.shardId));
      expectResumedAfterCheckpoint(span, puts, all);
    }
    const seenBefore = new Set(beforeRestart.map((d) => d.id));
    expect(restarted.deliveries.filter((d) => seenBefore.has(d.id)).map((d) => d.id)).toEqual([]);
    // Before the restart, repeats only where the first split moved a shard (at most one record each).
    expect(summary.redelivered).toBeLessThanOrEqual(moves);

    // The faults really hit the lease writes and the allocate listings (Queries of the group index).
    const updates = stats.byOperation["UpdateItem"]?.faults ?? {};
    const listings = stats.byOperation["Query"]?.faults ?? {};
    const total = (faults: Partial<Record<string, number>>): number => (faults["throttle"] ?? 0) + (faults["http-error"] ?? 0);
    expect(total(updates)).toBeGreaterThanOrEqual(5);
    expect(total(listings)).toBeGreaterThanOrEqual(5);
    expect(Object.values(stats.byOperation).reduce((n, op) => n + (op.faults["throttle"] ?? 0), 0)).toBeGreaterThanOrEqual(3);
    expect(Object.values(stats.byOperation).reduce((n, op) => n + (op.faults["http-error"] ?? 0), 0)).toBeGreaterThanOrEqual(3);
    console.log(
      `[dynamodb faults] ${stats.faults} of ${stats.requests} DynamoDB requests failed (UpdateItem ${JSON.stringify(updates)}, Query ${
        JSON.stringify(listings)
      }) ` +
        `over ${
          ((closeAt - Math.min(...spans.map((s) => s.from))) / 1000).toFixed(1)
        } s; 0 leases lost; ${puts.length} records, ${summary.redelivered} redelivered over ${moves} lease moves; ` +
        `restart resumed after ${[...lastDelivered.keys()].length} committed checkpoints`,
    );
  });
});
