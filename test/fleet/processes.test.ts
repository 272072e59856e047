/**
 * The fleet as separate OS processes: three worker processes of one group (DynamoDBCheckPointer on
 * dynalite, kinesalite stream of 4 shards, a producer running) split the shards 2+1+1; one is killed
 * with SIGKILL (no release, no final checkpoint) and its shards are taken over within
 * `sessionTimeout + heartbeatFrequency`, resuming after its last checkpoint. Nothing is lost; what it
 * delivered after that checkpoint comes again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createStream, localKinesis, uniqueName } from "../support/clients.ts";
import { startProducer } from "../support/delivery-checks.ts";
import {
  compare,
  expectDeliveriesInsideLeases,
  expectEveryRecordDelivered,
  expectExclusiveLeases,
  expectResumedAfterCheckpoint,
  sleep,
  spansOf,
  until,
  untilAllDelivered,
} from "./checks.ts";
import { bundleWorker, ChildWorker } from "./child-worker.ts";
import { HEARTBEAT, SESSION_TIMEOUT } from "./fleet.ts";

const kinesis = localKinesis();
let bundle: Awaited<ReturnType<typeof bundleWorker>>;
const children: ChildWorker[] = [];
const stops: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  bundle = await bundleWorker();
});
afterAll(async () => {
  await bundle.remove();
});
afterEach(async () => {
  await Promise.allSettled(stops.splice(0).map((stop) => stop()));
  for (const child of children.splice(0)) if (child.stoppedAt === undefined) child.kill();
});

const counts = (workers: readonly ChildWorker[]): string =>
  workers
    .map((w) => w.shards.length)
    .sort((a, b) => b - a)
    .join("+");

describe("a fleet of worker processes (DynamoDBCheckPointer on dynalite)", () => {
  it("three processes split 2+1+1; a SIGKILLed worker's shards are taken over within sessionTimeout + heartbeatFrequency and resume after its last checkpoint, nothing lost", async () => {
    const streamName = await createStream(kinesis, 4, "fleet-procs");
    const tableName = uniqueName("fleet-processes");
    const group = uniqueName("g");
    const spawnWorker = (name: string): ChildWorker => {
      const worker = new ChildWorker(bundle.file, {
        name,
        kinesisEndpoint: inject("kinesisEndpoint"),
        dynamodbEndpoint: inject("dynamodbEndpoint"),
        streamName,
        tableName,
        group,
        sessionTimeout: SESSION_TIMEOUT,
        heartbeatFrequency: HEARTBEAT,
      });
      children.push(worker);
      return worker;
    };
    const producer = startProducer(kinesis, streamName, { prefix: "procs", batch: 8, pauseMs: 40, max: 1_000_000 });
    stops.push(() => producer.stop());

    const a = spawnWorker("A");
    await a.ready;
    await until(() => a.shards.length === 4, "A reading all four shards");
    const workers = [a, spawnWorker("B"), spawnWorker("C")];
    await Promise.all(workers.map((w) => w.ready));
    await until(() => counts(workers) === "2+1+1", "a 2+1+1 split", 5000);
    await sleep(1000);

    const victim = workers.find((w) => w.shards.length === 2)!;
    const victimShards = victim.shards;
    const survivors = workers.filter((w) => w !== victim);
    const killedAt = victim.kill();
    const holders = (): string[] => survivors.flatMap((w) => w.shards);
    await until(() => victimShards.every((s) => holders().includes(s)), `${victim.name}'s shards taken over`, (SESSION_TIMEOUT + HEARTBEAT) * 1000 + 3000);
    expect(counts(survivors)).toBe("2+2");
    await sleep(1000);

    const puts = await producer.stop();
    await untilAllDelivered(workers, puts);
    for (const worker of survivors) {
      const status = await worker.terminate();
      expect(status, `${worker.name} closes on SIGTERM and exits 0: ${worker.output()}`).toEqual({ code: 0, signal: null, closed: true });
    }
    expect((await victim.exited).signal).toBe("SIGKILL");

    const all = workers.flatMap((w) => w.deliveries);
    const spans = spansOf(workers);
    const moves = expectExclusiveLeases(spans);
    expectDeliveriesInsideLeases(all, spans);
    const summary = expectEveryRecordDelivered(puts, all, spans);
    for (const w of survivors) expect(w.events.filter((e) => e.event.type === "leaseLost"), `${w.name} lost a lease`).toEqual([]);

    const report: string[] = [];
    let uncommitted = 0;
    for (const shardId of victimShards) {
      const taken = spans.find((s) => s.shardId === shardId && s.from >= killedAt)!;
      const ms = taken.from - killedAt;
      expect(ms, `${shardId} taken over later than sessionTimeout + heartbeatFrequency`).toBeLessThanOrEqual((SESSION_TIMEOUT + HEARTBEAT) * 1000);
      // Not while the lease was live: the victim renewed every heartbeat until it died, and a taker
      // must watch the counter stand still for a whole sessionTimeout (a slow last write leaves some slack).
      expect(ms, `${shardId} taken over before the dead worker's lease expired`).toBeGreaterThanOrEqual((SESSION_TIMEOUT - 2 * HEARTBEAT) * 1000);
      // The row's checkpoint is the last one the victim wrote: a record it had delivered.
      const victimOnShard = all.filter((d) => d.worker === victim.name && d.shardId === shardId);
      expect(victimOnShard.map((d) => d.sequenceNumber)).toContain(taken.sequence);
      expectResumedAfterCheckpoint(taken, puts, all);
      const again = victimOnShard.filter((d) => compare(d.sequenceNumber, taken.sequence!) > 0);
      for (const d of again) expect(all.some((x) => x.id === d.id && x.worker === taken.worker), `${d.id} delivered again by ${taken.worker}`).toBe(true);
      uncommitted += again.length;
      report.push(`${shardId.replace("shardId-0000000000", "#")}→${taken.worker} ${ms} ms (${again.length} uncommitted records again)`);
    }
    // Repeats come from the victim's uncommitted tail and, at most one each, from cooperative moves.
    expect(summary.redelivered).toBeLessThanOrEqual(uncommitted + moves);
    console.log(
      `[processes] SIGKILL of ${victim.name}: takeover ${report.join(", ")} (bound ${(SESSION_TIMEOUT + HEARTBEAT) * 1000} ms); ` +
        `${puts.length} records, ${summary.redelivered} redelivered, ${moves} lease moves`,
    );
  });
});
