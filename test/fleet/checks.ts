/**
 * What the fleet tests assert about a run, from a timeline of deliveries and lease events written by
 * every worker (in this process or a child process; all on one machine, so one clock):
 * - each shard held by one worker at a time (lease spans never overlap),
 * - no worker delivers a record of a shard outside its span (a lost lease stops that shard),
 * - every record put comes out, from the right shard at the right sequence number,
 * - a taker resumes right after the checkpoint it found,
 * - a record comes out twice only because its shard moved between workers.
 */
import { expect } from "vitest";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { sleep } from "../../src/internal/clock.ts";
import { compareSequence } from "../../src/internal/sequence.ts";
import type { Put } from "../support/delivery-checks.ts";

export interface Delivery {
  worker: string;
  id: string;
  shardId: string;
  sequenceNumber: string;
  /** Epoch ms when the caller got it. */
  at: number;
}

export interface TimedEvent {
  worker: string;
  at: number;
  event: ConsumerEvent;
}

export interface LeaseSpan {
  worker: string;
  shardId: string;
  from: number;
  /** When the worker stopped reading it: a lease event, or the worker's stop (close, kill). Infinity while running. */
  to: number;
  /** The checkpoint the lease carried when acquired. */
  sequence: string | undefined;
  endedBy: "leaseLost" | "leaseReleased" | "shardEnded" | "stopped" | "running";
}

/**
 * A record the caller already got may reach the loop body a few microtasks after a lease event
 * fired in between; it is still one that was handed over before the lease ended.
 */
export const HANDED_OVER_GRACE_MS = 5;

/** Each worker's leases over time. `stoppedAt` ends the spans of a worker closed or killed (no event is emitted then). */
export function leaseSpans(events: readonly TimedEvent[], stoppedAt: ReadonlyMap<string, number>): LeaseSpan[] {
  const spans: LeaseSpan[] = [];
  const open = new Map<string, LeaseSpan>();
  const ordered = [...events].sort((a, b) => a.at - b.at);
  for (const { worker, at, event } of ordered) {
    if (!("shardId" in event) || event.shardId === undefined) continue;
    const key = `${worker}\u0000${event.shardId}`;
    if (event.type === "leaseAcquired") {
      const span: LeaseSpan = { worker, shardId: event.shardId, from: at, to: Number.POSITIVE_INFINITY, sequence: event.sequence, endedBy: "running" };
      spans.push(span);
      open.set(key, span);
    } else if (event.type === "leaseLost" || event.type === "leaseReleased" || event.type === "shardEnded") {
      const span = open.get(key);
      if (span === undefined) continue;
      span.to = at;
      span.endedBy = event.type;
      open.delete(key);
    }
  }
  for (const span of open.values()) {
    const stopped = stoppedAt.get(span.worker);
    if (stopped !== undefined && stopped >= span.from) {
      span.to = stopped;
      span.endedBy = "stopped";
    }
  }
  return spans;
}

/** No two spans of one shard overlap. Returns how many times a shard moved to another worker. */
export function expectExclusiveLeases(spans: readonly LeaseSpan[]): number {
  let moves = 0;
  const byShard = groupBy(spans, (s) => s.shardId);
  for (const [shardId, list] of byShard) {
    const sorted = [...list].sort((a, b) => a.from - b.from);
    for (let i = 1; i < sorted.length; i++) {
      const previous = sorted[i - 1]!;
      const next = sorted[i]!;
      if (previous.to > next.from) {
        expect.fail(`${shardId}: ${next.worker} acquired it at ${next.from} while ${previous.worker} held it until ${previous.to}`);
      }
      if (previous.worker !== next.worker) moves++;
    }
  }
  return moves;
}

/** Every delivery falls inside a span of its worker on its shard. */
export function expectDeliveriesInsideLeases(deliveries: readonly Delivery[], spans: readonly LeaseSpan[]): void {
  const byKey = groupBy(spans, (s) => `${s.worker}\u0000${s.shardId}`);
  const outside = deliveries.filter((d) => {
    const own = byKey.get(`${d.worker}\u0000${d.shardId}`) ?? [];
    return !own.some((s) => s.from <= d.at && d.at <= s.to + HANDED_OVER_GRACE_MS);
  });
  expect(
    outside.slice(0, 5).map((d) => `${d.worker} delivered ${d.id} of ${d.shardId} at ${d.at}`),
    `${outside.length} deliveries outside the worker's lease`,
  ).toEqual([]);
}

export interface DeliverySummary {
  unique: number;
  /** Deliveries beyond the first of each record. */
  redelivered: number;
  /** Shards whose records came out more than once. */
  redeliveredShards: string[];
}

/**
 * Every put record delivered at least once, from the right shard at the right sequence number; every
 * repeat comes from another lease span than the first delivery (its shard moved in between).
 */
export function expectEveryRecordDelivered(puts: readonly Put[], deliveries: readonly Delivery[], spans: readonly LeaseSpan[]): DeliverySummary {
  const byId = groupBy(deliveries, (d) => d.id);
  const missing = puts.filter((p) => !byId.has(p.id)).map((p) => p.id);
  expect(missing.slice(0, 10), `${missing.length} records never delivered`).toEqual([]);
  const putIds = new Set(puts.map((p) => p.id));
  expect([...byId.keys()].filter((id) => !putIds.has(id)), "delivered records nobody put").toEqual([]);
  let redelivered = 0;
  const redeliveredShards = new Set<string>();
  for (const put of puts) {
    const got = byId.get(put.id)!;
    for (const d of got) {
      expect({ id: d.id, shardId: d.shardId, sequenceNumber: d.sequenceNumber }).toEqual({
        id: put.id,
        shardId: put.shardId,
        sequenceNumber: put.sequenceNumber,
      });
    }
    if (got.length === 1) continue;
    redelivered += got.length - 1;
    redeliveredShards.add(put.shardId);
    const spansOf = got.map((d) =>
      spans.findIndex((s) => s.worker === d.worker && s.shardId === d.shardId && s.from <= d.at && d.at <= s.to + HANDED_OVER_GRACE_MS)
    );
    expect(new Set(spansOf).size, `${put.id} delivered twice within one lease (${got.map((d) => d.worker).join(", ")})`).toBe(spansOf.length);
  }
  return { unique: byId.size, redelivered, redeliveredShards: [...redeliveredShards].sort() };
}

/**
 * The span's first delivery is the first record of its shard after the checkpoint the lease carried:
 * nothing skipped, nothing before it replayed.
 */
export function expectResumedAfterCheckpoint(span: LeaseSpan, puts: readonly Put[], deliveries: readonly Delivery[]): Delivery {
  const onShard = puts.filter((p) => p.shardId === span.shardId).sort((a, b) => compare(a.sequenceNumber, b.sequenceNumber));
  const expected = span.sequence === undefined ? onShard[0] : onShard.find((p) => compare(p.sequenceNumber, span.sequence!) > 0);
  const first = deliveries
    .filter((d) => d.worker === span.worker && d.shardId === span.shardId && d.at >= span.from && d.at <= span.to + HANDED_OVER_GRACE_MS)
    .sort((a, b) => a.at - b.at)[0];
  expect(first, `${span.worker} delivered nothing of ${span.shardId} after taking it`).toBeDefined();
  expect(first!.id, `${span.worker} resumed ${span.shardId} after checkpoint ${span.sequence}`).toBe(expected?.id);
  return first!;
}

/** The highest sequence number `worker` delivered on `shardId` before `before` (epoch ms). */
export function lastDelivered(deliveries: readonly Delivery[], worker: string, shardId: string, before = Number.POSITIVE_INFINITY): string | undefined {
  let best: string | undefined;
  for (const d of deliveries) {
    if (d.worker !== worker || d.shardId !== shardId || d.at > before) continue;
    if (best === undefined || compare(d.sequenceNumber, best) > 0) best = d.sequenceNumber;
  }
  return best;
}

/** Map.groupBy, which Node 20 lacks. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list === undefined) out.set(k, [item]);
    else list.push(item);
  }
  return out;
}

/** Sequence numbers compare as integers: the library's own comparison. */
export const compare = compareSequence;

/** What every fleet worker (in this process or a child process) records. */
export interface RecordingWorker {
  readonly name: string;
  readonly deliveries: readonly Delivery[];
  readonly events: readonly TimedEvent[];
  readonly stoppedAt: number | undefined;
}

/** Wait until every put record has come out of some worker. */
export async function untilAllDelivered(workers: readonly RecordingWorker[], puts: readonly Put[], timeoutMs?: number): Promise<number> {
  const wanted = new Set(puts.map((p) => p.id)).size;
  return until(() => new Set(workers.flatMap((w) => w.deliveries.map((d) => d.id))).size >= wanted, "every record delivered", timeoutMs);
}

/** Every worker's lease spans, each worker's stop ending its open spans. */
export function spansOf(workers: readonly RecordingWorker[]): LeaseSpan[] {
  return leaseSpans(
    workers.flatMap((w) => w.events),
    new Map(workers.map((w) => [w.name, w.stoppedAt!])),
  );
}

/** Poll `condition` every 5 ms; throws with `what` after `timeoutMs`. Resolves with the time it first held. */
export async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
  return Date.now();
}

export { sleep };
