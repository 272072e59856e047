/**
 * What the chaos run asserts, as pure functions over what it recorded (no vitest, so the script
 * `npm run chaos` uses them too). Each check returns violations as sentences; an empty list passes.
 * - every produced record delivered at least once, from the shard and sequence number it was put at,
 * - per-key order within each delivery run (a run: one worker process on one shard, from one
 *   leaseAcquired to the next),
 * - no sampled checkpoint ever moves backwards (nor disappears),
 * - no two workers' runs on one shard deliver at the same time for longer than one heartbeat.
 */
import { compareSequence } from "../../src/internal/sequence.ts";
import type { WorkerLine } from "./worker-main.ts";

/** One record the run's producer put: `id` is `<key>:<n>`, n counting that key's records from 0. */
export interface Produced {
  id: string;
  key: string;
  n: number;
  shardId: string;
  sequenceNumber: string;
}

export interface ChaosDelivery {
  id: string;
  shardId: string;
  sequenceNumber: string;
  at: number;
  /** `<worker>/<shard>/<k>`: the k-th lease this worker process took on this shard. */
  run: string;
  worker: string;
}

/** One scan of the lease table: row key → its checkpoint (undefined: none yet). */
export interface CheckpointSample {
  at: number;
  rows: ReadonlyMap<string, string | undefined>;
}

export function keyOf(id: string): { key: string; n: number } {
  const colon = id.lastIndexOf(":");
  return { key: id.slice(0, colon), n: Number(id.slice(colon + 1)) };
}

/** Deliveries of every worker process, each tagged with its run by the order of the worker's own lines. */
export function deliveriesByRun(workers: ReadonlyArray<{ name: string; lines: readonly WorkerLine[] }>): ChaosDelivery[] {
  const out: ChaosDelivery[] = [];
  for (const { name, lines } of workers) {
    const leases = new Map<string, number>();
    for (const line of lines) {
      if (line.kind === "event" && line.event.type === "leaseAcquired") {
        leases.set(line.event.shardId, (leases.get(line.event.shardId) ?? 0) + 1);
      } else if (line.kind === "record") {
        const run = `${name}/${line.shardId}/${leases.get(line.shardId) ?? 0}`;
        out.push({ id: line.id, shardId: line.shardId, sequenceNumber: line.sequenceNumber, at: line.at, run, worker: name });
      }
    }
  }
  return out;
}

export interface DeliveryFigures {
  produced: number;
  delivered: number;
  lost: number;
  /** Deliveries beyond the first of each record. */
  duplicates: number;
}

/** Every produced record delivered at least once, each delivery where it was put. */
export function checkEveryRecordDelivered(
  produced: readonly Produced[],
  deliveries: readonly ChaosDelivery[],
): { figures: DeliveryFigures; violations: string[] } {
  const violations: string[] = [];
  const byId = new Map(produced.map((p) => [p.id, p]));
  const seen = new Set<string>();
  let misplaced = 0;
  let unknown = 0;
  for (const d of deliveries) {
    const put = byId.get(d.id);
    if (put === undefined) {
      if (unknown++ < 3) violations.push(`${d.worker} delivered ${d.id}, which nobody produced`);
      continue;
    }
    seen.add(d.id);
    if (put.shardId !== d.shardId || put.sequenceNumber !== d.sequenceNumber) {
      if (misplaced++ < 3) {
        violations.push(`${d.id} was put at ${put.shardId}/${put.sequenceNumber} but ${d.worker} delivered it as ${d.shardId}/${d.sequenceNumber}`);
      }
    }
  }
  const missing = produced.filter((p) => !seen.has(p.id));
  if (missing.length > 0) {
    violations.push(
      `${missing.length} of ${produced.length} produced records never delivered, e.g. ${
        missing.slice(0, 5).map((p) => `${p.id} (${p.shardId}/${p.sequenceNumber})`).join(", ")
      }`,
    );
  }
  const delivered = deliveries.filter((d) => byId.has(d.id)).length;
  return { figures: { produced: produced.length, delivered, lost: missing.length, duplicates: delivered - seen.size }, violations };
}

/** Within one run, each key's records come in the order they were produced, none twice. */
export function checkPerKeyOrder(deliveries: readonly ChaosDelivery[]): { runs: number; violations: string[] } {
  const violations: string[] = [];
  const last = new Map<string, { n: number; id: string }>();
  const runs = new Set<string>();
  for (const d of deliveries) {
    runs.add(d.run);
    const { key, n } = keyOf(d.id);
    const slot = `${d.run}\u0000${key}`;
    const before = last.get(slot);
    if (before !== undefined && n <= before.n && violations.length < 10) {
      violations.push(`run ${d.run}: key ${key} delivered ${d.id} after ${before.id}`);
    }
    last.set(slot, { n, id: d.id });
  }
  return { runs: runs.size, violations };
}

/** Across samples in time order, no row's checkpoint moves backwards or vanishes. */
export function checkCheckpointsNeverRegress(samples: readonly CheckpointSample[]): { rows: number; advances: number; violations: string[] } {
  const violations: string[] = [];
  const latest = new Map<string, { sequence: string; at: number }>();
  let advances = 0;
  for (const sample of [...samples].sort((a, b) => a.at - b.at)) {
    for (const [row, sequence] of sample.rows) {
      const before = latest.get(row);
      if (before === undefined) {
        if (sequence !== undefined) latest.set(row, { sequence, at: sample.at });
        continue;
      }
      if (sequence === undefined || compareSequence(sequence, before.sequence) < 0) {
        if (violations.length < 10) {
          violations.push(`checkpoint of ${row} went from ${before.sequence} (at ${before.at}) back to ${sequence ?? "nothing"} (at ${sample.at})`);
        }
        continue;
      }
      if (compareSequence(sequence, before.sequence) > 0) advances++;
      latest.set(row, { sequence, at: sample.at });
    }
  }
  return { rows: latest.size, advances, violations };
}

/**
 * Per shard, any two runs of different worker processes overlap in delivery time (from the first to
 * the last record each delivered) by at most `heartbeatMs`. Returns the largest overlap seen.
 */
export function checkSingleDeliverer(deliveries: readonly ChaosDelivery[], heartbeatMs: number): { maxOverlapMs: number; violations: string[] } {
  const violations: string[] = [];
  const spans = new Map<string, { shardId: string; worker: string; run: string; first: number; last: number }>();
  for (const d of deliveries) {
    const span = spans.get(d.run);
    if (span === undefined) spans.set(d.run, { shardId: d.shardId, worker: d.worker, run: d.run, first: d.at, last: d.at });
    else {
      span.first = Math.min(span.first, d.at);
      span.last = Math.max(span.last, d.at);
    }
  }
  let maxOverlapMs = 0;
  const byShard = new Map<string, Array<{ worker: string; run: string; first: number; last: number }>>();
  for (const span of spans.values()) byShard.set(span.shardId, [...(byShard.get(span.shardId) ?? []), span]);
  for (const [shardId, list] of byShard) {
    for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.worker === b.worker) continue;
        const overlap = Math.min(a.last, b.last) - Math.max(a.first, b.first);
        maxOverlapMs = Math.max(maxOverlapMs, overlap);
        if (overlap > heartbeatMs && violations.length < 10) {
          violations.push(`${shardId}: ${a.run} and ${b.run} both delivered for ${overlap} ms (> one heartbeat, ${heartbeatMs} ms)`);
        }
      }
    }
  }
  return { maxOverlapMs, violations };
}
