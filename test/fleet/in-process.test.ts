/**
 * Two and three consumers of one group in one process, each with its own DynamoDBCheckPointer on one
 * dynalite table, reading a 4-shard kinesalite stream while a producer keeps writing: one reader per
 * shard at any moment, every record delivered, a fair split within a few heartbeats of a worker
 * joining, and a graceful close that hands each shard over within one heartbeat to a worker that
 * resumes right after the closer's last checkpoint.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createStream, localKinesis, uniqueName } from "../support/clients.ts";
import { startProducer } from "../support/delivery-checks.ts";
import {
  expectDeliveriesInsideLeases,
  expectEveryRecordDelivered,
  expectExclusiveLeases,
  expectResumedAfterCheckpoint,
  lastDelivered,
  sleep,
  spansOf,
  until,
  untilAllDelivered,
} from "./checks.ts";
import { ALLOCATE_INTERVAL, type FleetPlace, FleetWorker, HEARTBEAT, shardCounts, watchOwnership } from "./fleet.ts";

const kinesis = localKinesis();
const tableName = uniqueName("fleet-in-process");
const running: FleetWorker[] = [];
const stops: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await Promise.allSettled(stops.splice(0).map((stop) => stop()));
  await Promise.allSettled(running.splice(0).map((w) => w.close()));
});

async function place(prefix: string): Promise<FleetPlace> {
  return { streamName: await createStream(kinesis, 4, prefix), tableName, group: uniqueName("g") };
}

function start(name: string, where: FleetPlace): FleetWorker {
  const worker = new FleetWorker(name, where);
  running.push(worker);
  return worker;
}

/**
 * A starts alone and takes all four shards; `joiners` start together and the group must settle on
 * `afterJoin`; then the worker holding the most shards closes and the rest must settle on
 * `afterClose`. Everything is checked on the timeline at the end.
 */
async function joinThenClose(label: string, joiners: string[], afterJoin: number[], afterClose: number[]): Promise<void> {
  const where = await place(`fleet-${joiners.length + 1}`);
  const producer = startProducer(kinesis, where.streamName, { prefix: label, batch: 8, pauseMs: 40, max: 1_000_000 });
  stops.push(() => producer.stop());
  const workers = [start("A", where)];
  const watch = watchOwnership(workers);
  stops.push(async () => watch.stop());

  await until(() => workers[0]!.shards.length === 4, "A reading all four shards");
  await sleep(500);

  const joinedAt = Date.now();
  workers.push(...joiners.map((name) => start(name, where)));
  const balancedAt = await until(() => shardCounts(workers).join() === afterJoin.join(), `a ${afterJoin.join("+")} split`);
  await sleep(1500);

  const closer = [...workers].sort((x, y) => y.shards.length - x.shards.length)[0]!;
  const handedOver = [...closer.shards];
  const rest = workers.filter((w) => w !== closer);
  const closeAt = Date.now();
  await closer.close();
  const closedAt = Date.now();
  await until(() => shardCounts(rest).join() === afterClose.join(), `a ${afterClose.join("+")} split after ${closer.name} closed`);
  await sleep(500);

  const puts = await producer.stop();
  await untilAllDelivered(workers, puts);
  await Promise.all(rest.map((w) => w.close()));
  watch.stop();

  const all = workers.flatMap((w) => w.deliveries);
  const spans = spansOf(workers);
  expect(watch.overlaps, "a shard read by two consumers at once").toEqual([]);
  expect(watch.samples).toBeGreaterThan(500);
  const moves = expectExclusiveLeases(spans);
  expectDeliveriesInsideLeases(all, spans);
  const summary = expectEveryRecordDelivered(puts, all, spans);
  // A record comes out twice only if it was handed out just as its shard moved: at most one per move.
  expect(summary.redelivered).toBeLessThanOrEqual(moves);
  for (const w of workers) expect(w.eventsOf("leaseLost"), `${w.name} lost a lease`).toEqual([]);

  expect(balancedAt - joinedAt, "balanced within four heartbeats of joining").toBeLessThanOrEqual(4 * HEARTBEAT * 1000);

  // Every shard that moved (joins and the close) resumed right after the checkpoint it carried.
  for (const span of spans.filter((s) => s.worker !== "A" || s.from > joinedAt)) expectResumedAfterCheckpoint(span, puts, all);

  const handover: string[] = [];
  for (const shardId of handedOver) {
    const taken = spans.find((s) => s.shardId === shardId && s.worker !== closer.name && s.from >= closeAt);
    expect(taken, `${shardId} taken after ${closer.name} closed`).toBeDefined();
    const ms = taken!.from - closeAt;
    handover.push(`${shardId.replace("shardId-0000000000", "#")}→${taken!.worker} ${ms} ms`);
    expect(ms, `${shardId} handed over within heartbeatFrequency + the allocate interval`).toBeLessThanOrEqual((HEARTBEAT + ALLOCATE_INTERVAL) * 1000);
    // close() wrote every record the closer had delivered as its checkpoint; the taker starts after it.
    expect(taken!.sequence).toBe(lastDelivered(all, closer.name, shardId, closeAt));
  }
  console.log(
    `[${label}] ${afterJoin.join("+")} ${balancedAt - joinedAt} ms after ${joiners.join(", ")} joined; ` +
      `${closer.name} closed in ${closedAt - closeAt} ms, handover ${handover.join(", ")} (bound ${(HEARTBEAT + ALLOCATE_INTERVAL) * 1000} ms); ` +
      `${puts.length} records, ${summary.redelivered} redelivered over ${moves} lease moves; ${watch.samples} ownership samples`,
  );
}

describe("a fleet of consumers in one process (DynamoDBCheckPointer on dynalite)", () => {
  it("two consumers: one reader per shard, 2+2 within a few heartbeats, close hands over within one heartbeat and the taker resumes after the last checkpoint", async () => {
    await joinThenClose("two consumers", ["B"], [2, 2], [4]);
  });

  it("three consumers: one reader per shard, 2+1+1 within a few heartbeats, close of the 2-shard worker gives one shard to each of the others", async () => {
    await joinThenClose("three consumers", ["B", "C"], [2, 1, 1], [2, 2]);
  });
});
