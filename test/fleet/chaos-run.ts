/**
 * The chaos run, shared by test/fleet/chaos.test.ts (short, seeded) and `npm run chaos` (long):
 * worker processes (Consumer + DynamoDBCheckPointer, test/fleet/worker-main.ts) on a multi-shard
 * kinesalite stream, both services behind seeded fault proxies (throttling, connection resets), a
 * producer writing keyed records straight to the stream, workers SIGKILLed and restarted on a seeded
 * schedule, one split and one merge, and the lease table sampled all along. Afterwards the checks of
 * chaos-checks.ts judge what was recorded. Needs no vitest: it starts its own servers.
 */
import { join } from "node:path";
import { DynamoDBClient } from "../../src/dynamodb/client.ts";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { sleep } from "../../src/internal/clock.ts";
import { type FaultProxy, type FaultRule, startFaultProxy } from "../support/fault-proxy.ts";
import { startLocalServers } from "../support/local-servers.ts";
import { startKeyedProducer } from "./chaos-producer.ts";
import { mergeAdjacent, splitOne } from "./chaos-reshard.ts";
import {
  checkCheckpointsNeverRegress,
  checkEveryRecordDelivered,
  checkPerKeyOrder,
  type CheckpointSample,
  checkSingleDeliverer,
  deliveriesByRun,
} from "./chaos-checks.ts";
import { chaosSchedule } from "./chaos-schedule.ts";
import { bundleChaosWorker, ChaosWorker, repoRoot } from "./chaos-worker.ts";

export interface ChaosOptions {
  seed: number;
  /** How long workers are killed, the producer writes and the stream is resharded (ms). */
  durationMs: number;
  /** After that, how long to wait for every record to come out before judging (ms). Default 60 s. */
  drainTimeoutMs?: number;
  workers?: number;
  shards?: number;
  /** Default 0.05 and 0.01, on every request to either service. */
  throttleRate?: number;
  resetRate?: number;
  /** Lease timing of the workers (seconds), as the fleet tests use. */
  sessionTimeout?: number;
  heartbeat?: number;
  /** Progress lines (kills, reshards, phases). */
  log?: (message: string) => void;
}

export interface ServiceFaults {
  requests: number;
  throttles: number;
  resets: number;
}

export interface ChaosReport {
  seed: number;
  elapsedMs: number;
  produced: number;
  delivered: number;
  lost: number;
  duplicates: number;
  /** Duplicates per produced record. */
  duplicateRatio: number;
  kills: number;
  /** Worker processes that exited without being told to (a consumer that gave up). */
  crashes: string[];
  incarnations: number;
  reshards: string[];
  runs: number;
  checkpointSamples: number;
  checkpointAdvances: number;
  maxOverlapMs: number;
  /** Workers that did not close within the grace period of the final SIGTERM (then SIGKILLed). */
  uncleanCloses: string[];
  faults: { kinesis: ServiceFaults; dynamodb: ServiceFaults };
  /** Empty when the run passed. */
  violations: string[];
}

const SLOT_NAMES = "ABCDEFGHIJ";
const CLOSE_GRACE_MS = 10_000;
const SAMPLE_EVERY_MS = 200;
const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-not-real" };

function faultRules(throttleRate: number, resetRate: number): FaultRule[] {
  return [
    { probability: throttleRate, fault: { kind: "throttle" } },
    // Half before the service acts, half after (the write happened; only the answer is lost).
    { probability: resetRate / 2, fault: { kind: "reset-before" } },
    { probability: resetRate / 2, fault: { kind: "reset-after" } },
  ];
}

function faultsOf(proxy: FaultProxy): ServiceFaults {
  const stats = proxy.stats();
  let throttles = 0;
  let resets = 0;
  for (const op of Object.values(stats.byOperation)) {
    throttles += op.faults["throttle"] ?? 0;
    resets += (op.faults["reset-before"] ?? 0) + (op.faults["reset-after"] ?? 0);
  }
  return { requests: stats.requests, throttles, resets };
}

export function summaryLine(report: ChaosReport): string {
  const f = report.faults;
  return (
    `[chaos] seed ${report.seed}: ${report.produced} records, ${report.lost} lost, ${report.duplicates} duplicates ` +
    `(ratio ${report.duplicateRatio.toFixed(4)}), ${report.kills} kills, ${report.crashes.length} crashes, ${report.incarnations} worker processes, ` +
    `${report.runs} delivery runs, ${report.reshards.join(", ")}, checkpoints ${report.checkpointAdvances} advances in ${report.checkpointSamples} samples, ` +
    `max overlap ${report.maxOverlapMs} ms, ${report.uncleanCloses.length} unclean closes; faults kinesis ${f.kinesis.throttles} throttles + ${f.kinesis.resets} resets of ${f.kinesis.requests}, ` +
    `dynamodb ${f.dynamodb.throttles} throttles + ${f.dynamodb.resets} resets of ${f.dynamodb.requests}; ` +
    `${(report.elapsedMs / 1000).toFixed(1)} s; ${report.violations.length === 0 ? "PASS" : `FAIL (${report.violations.length} violations)`}`
  );
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((): void => undefined);
  const slots = options.workers ?? 3;
  const sessionTimeout = options.sessionTimeout ?? 3;
  const heartbeat = options.heartbeat ?? 0.5;
  const root = repoRoot();
  const guard = join(root, "test", "fleet", "chaos-orphan-guard.cjs");
  const started = Date.now();
  const cleanups: Array<() => Promise<unknown>> = [];
  const workers: ChaosWorker[] = [];
  const violations: string[] = [];
  const crashes: string[] = [];
  const reshards: string[] = [];
  let kills = 0;
  /** False once the run winds down: no replacement worker starts after that. */
  let accepting = true;
  try {
    const bundle = await bundleChaosWorker(root);
    cleanups.push(() => bundle.remove());
    const servers = await startLocalServers();
    cleanups.push(() => servers.close());
    const rules = faultRules(options.throttleRate ?? 0.05, options.resetRate ?? 0.01);
    const kinesisProxy = await startFaultProxy({ target: servers.kinesisEndpoint, seed: options.seed, rules });
    cleanups.push(() => kinesisProxy.close());
    const dynamoProxy = await startFaultProxy({ target: servers.dynamodbEndpoint, seed: options.seed ^ 0x5a5a5a5a, rules });
    cleanups.push(() => dynamoProxy.close());

    // The run's own view of both services goes around the proxies: what was put, and what the table holds.
    const kinesis = new KinesisClient({ endpoint: servers.kinesisEndpoint, region: "us-east-1", credentials });
    const dynamo = new DynamoDBClient({ endpoint: servers.dynamodbEndpoint, region: "us-east-1", credentials });
    const suffix = `${options.seed.toString(36)}-${Date.now().toString(36)}`;
    const place = { streamName: `chaos-${suffix}`, tableName: `chaos-${suffix}`, group: "chaos" };
    await kinesis.createStream(place.streamName, options.shards ?? 4);
    await kinesis.waitForActive(place.streamName, { pollInterval: 0.05 });

    const incarnations = Array.from({ length: slots }, () => 0);
    const current: Array<ChaosWorker | undefined> = Array.from({ length: slots }, () => undefined);
    const spawnSlot = (slot: number): ChaosWorker => {
      const name = `${SLOT_NAMES[slot]}${++incarnations[slot]!}`;
      const worker = new ChaosWorker(bundle.file, guard, {
        name,
        kinesisEndpoint: kinesisProxy.endpoint,
        dynamodbEndpoint: dynamoProxy.endpoint,
        ...place,
        sessionTimeout,
        heartbeatFrequency: heartbeat,
      }, root);
      workers.push(worker);
      current[slot] = worker;
      void worker.exited.then((status) => {
        if (worker.stoppedAt !== undefined) return;
        crashes.push(`${name} exited by itself (${status.signal ?? `code ${status.code}`}): ${worker.output().slice(0, 500)}`);
        log(`${crashes.at(-1)!}; restarting slot ${slot}`);
        if (accepting) setTimeout(() => accepting && spawnSlot(slot), 500);
      });
      return worker;
    };

    const samples: CheckpointSample[] = [];
    const sampleOnce = async (): Promise<void> => {
      try {
        const items = await dynamo.scan({ TableName: place.tableName, ConsistentRead: true });
        const rows = new Map<string, string | undefined>();
        for (const item of items) {
          const key = item["shard_id"];
          const sequence = item["sequence"];
          if (key !== undefined && "S" in key) rows.set(key.S, sequence !== undefined && "S" in sequence ? sequence.S : undefined);
        }
        samples.push({ at: Date.now(), rows });
      } catch {
        // The workers have not created the table yet.
      }
    };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await sampleOnce();
        await sleep(SAMPLE_EVERY_MS);
      }
    })();
    cleanups.push(async () => {
      sampling = false;
      await sampler;
    });

    const producer = startKeyedProducer(kinesis, place.streamName, { keys: 32, batch: 8, pauseMs: 50 });
    cleanups.push(() => producer.stop());
    for (let slot = 0; slot < slots; slot++) spawnSlot(slot);

    const schedule = chaosSchedule(options.seed, {
      durationMs: options.durationMs,
      slots,
      killEveryMs: [2000, 5000],
      restartAfterMs: [200, 1500],
      splitAt: 0.3,
      mergeAt: 0.6,
      reshardEveryMs: 60_000,
    });
    const reshardsPlanned = schedule.filter((action) => action.kind !== "kill").length;
    const chaosStart = Date.now();
    const pending: Array<Promise<unknown>> = [];
    for (const action of schedule) {
      await sleep(Math.max(0, chaosStart + action.at - Date.now()));
      if (action.kind === "kill") {
        const victim = current[action.slot];
        if (victim === undefined || !victim.running) continue;
        victim.kill();
        kills++;
        log(`${((Date.now() - chaosStart) / 1000).toFixed(1)} s: SIGKILL ${victim.name}`);
        pending.push(sleep(action.restartAfterMs).then(() => accepting && spawnSlot(action.slot)));
      } else {
        const reshard = action.kind === "split" ? splitOne : mergeAdjacent;
        const done = reshard(kinesis, place.streamName, action.pick).then(
          (what) => {
            reshards.push(what);
            log(`${((Date.now() - chaosStart) / 1000).toFixed(1)} s: ${what}`);
          },
          (error: unknown) => violations.push(`${action.kind} failed: ${error instanceof Error ? error.message : String(error)}`),
        );
        pending.push(done);
      }
    }
    await sleep(Math.max(0, chaosStart + options.durationMs - Date.now()));
    await Promise.all(pending);
    const produced = await producer.stop();
    if (producer.error !== undefined) violations.push(`the producer failed: ${producer.error}`);
    log(`chaos over after ${kills} kills; ${produced.length} records produced; draining`);

    // Drain: every produced record out of some worker, or the deadline.
    const wanted = new Set(produced.map((p) => p.id));
    const seen = new Set<string>();
    const read = new Map<ChaosWorker, number>();
    const drainDeadline = Date.now() + (options.drainTimeoutMs ?? 60_000);
    while (Date.now() < drainDeadline) {
      for (const worker of workers) {
        const from = read.get(worker) ?? 0;
        for (let i = from; i < worker.lines.length; i++) {
          const line = worker.lines[i]!;
          if (line.kind === "record") seen.add(line.id);
        }
        read.set(worker, worker.lines.length);
      }
      if ([...wanted].every((id) => seen.has(id))) break;
      await sleep(200);
    }
    accepting = false;
    const closing = await Promise.all(workers.filter((w) => w.running).map(async (w) => ({ name: w.name, ...(await w.terminate(CLOSE_GRACE_MS)) })));
    const uncleanCloses = closing.filter((c) => !c.closed || c.status.code !== 0).map((c) => `${c.name} (${c.status.signal ?? `code ${c.status.code}`})`);
    sampling = false;
    await sampler;
    await sampleOnce();

    const deliveries = deliveriesByRun(workers);
    const delivered = checkEveryRecordDelivered(produced, deliveries);
    const order = checkPerKeyOrder(deliveries);
    const checkpoints = checkCheckpointsNeverRegress(samples);
    const single = checkSingleDeliverer(deliveries, heartbeat * 1000);
    violations.push(...delivered.violations, ...order.violations, ...checkpoints.violations, ...single.violations, ...crashes);
    if (reshards.length !== reshardsPlanned) {
      violations.push(`${reshardsPlanned} splits and merges planned, ${reshards.length} done: ${reshards.join(", ") || "none"}`);
    }
    return {
      seed: options.seed,
      elapsedMs: Date.now() - started,
      ...delivered.figures,
      duplicateRatio: delivered.figures.produced === 0 ? 0 : delivered.figures.duplicates / delivered.figures.produced,
      kills,
      crashes,
      incarnations: workers.length,
      reshards,
      runs: order.runs,
      checkpointSamples: samples.length,
      checkpointAdvances: checkpoints.advances,
      maxOverlapMs: single.maxOverlapMs,
      uncleanCloses,
      faults: { kinesis: faultsOf(kinesisProxy), dynamodb: faultsOf(dynamoProxy) },
      violations,
    };
  } finally {
    accepting = false;
    for (const worker of workers) worker.kill();
    await Promise.allSettled(workers.map((w) => w.exited));
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
