import { backoffDelay, defaultBackoff } from "../internal/backoff.ts";
import type { FailedRecord } from "../errors.ts";
import type { Clock } from "../internal/clock.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import type { Admission } from "./admission.ts";
import { type BatchLimits, laneFundedIn, MAX_BATCH_BYTES, takeBatch } from "./batcher.ts";
import type { FlushStats, ResolvedProducerOptions } from "./options.ts";
import type { ProducerMetrics } from "./metrics.ts";
import { entryFailure, type FailureOutcome, mismatchedAnswer, requestFailureOutcome } from "./put-outcome.ts";
import type { QueuedRecord, UserRecord } from "./queued-record.ts";
import { ShardRateLimiter } from "./rate-limiter.ts";
import type { Settlement } from "./settlement.ts";
import { type PutRecordsAnswer, sendPutRecords } from "./put-records.ts";
import { ReshardWatch } from "./reshard-watch.ts";
import type { Lane, ShardBuffers } from "./shard-buffers.ts";
import { WakeTimer } from "./wake-timer.ts";

/** Why the producer stopped for good. */
export interface Failure {
  code: string;
  message: string;
  cause: unknown;
}

export interface DeliveryDeps {
  client: KinesisClient;
  buffers: ShardBuffers;
  options: ResolvedProducerOptions;
  clock: Clock;
  random: () => number;
  settlement: Settlement;
  admission: Admission;
  metrics: ProducerMetrics;
  signal: AbortSignal;
  afterFlush: ((stats: FlushStats) => unknown) | undefined;
  /** A persistent error: the producer refuses new items and fails what it holds. */
  onFatal: (failure: Failure) => void;
}

/**
 * The producer's engine once the stream is known: decides when to send (a full batch, an item that
 * waited `bufferTime`, a flush), sends PutRecords requests, and applies their per-entry outcomes
 * (settle, retry with backoff, or fail). Event-driven: it runs when something changes and sets one
 * timer for the next moment it has to act, so an idle producer costs nothing.
 */
export class PutDelivery {
  readonly #deps: DeliveryDeps;
  readonly #buffers: ShardBuffers;
  readonly #options: ResolvedProducerOptions;
  readonly #limiter: ShardRateLimiter;
  readonly #limits: BatchLimits;
  /** Bytes of queued records that make a batch worth sending before the buffer time is up. */
  readonly #fullBatchBytes: number;
  #flushing = 0;
  #inFlight = 0;
  #rotation = 0;
  /** After a whole request failed (network, 5xx, throttling), nothing is sent before this. */
  #blockedUntil = 0;
  #requestFailureStreak = 0;
  readonly #reshard: ReshardWatch;
  readonly #timer: WakeTimer;
  #pumpQueued = false;
  #failed: Failure | undefined;
  #stopped = false;

  constructor(deps: DeliveryDeps) {
    this.#deps = deps;
    this.#buffers = deps.buffers;
    this.#options = deps.options;
    this.#limiter = new ShardRateLimiter({ recordsPerSecond: deps.options.recordsPerSecond, bytesPerSecond: deps.options.bytesPerSecond });
    const maxBytes = Math.max(MAX_BATCH_BYTES, this.#buffers.maxRecordBytes);
    this.#limits = { maxRecords: deps.options.batchSize, maxBytes, ordered: deps.options.ordered };
    this.#fullBatchBytes = maxBytes;
    this.#timer = new WakeTimer(deps.clock, () => this.#schedule());
    this.#reshard = new ReshardWatch(
      {
        client: deps.client,
        streamName: deps.options.streamName,
        signal: deps.signal,
        buffers: this.#buffers,
        limiter: this.#limiter,
        now: () => deps.clock.now(),
        active: () => this.#failed === undefined && !this.#stopped,
        settle: (items, generation, failure, attempts) => this.#settle(items, generation, failure, attempts),
        changed: () => this.#schedule(),
      },
      deps.clock.now(),
    );
  }

  /** Hold one accepted item (throws, keeping nothing, if it can never fit in a record). */
  add(item: UserRecord, generation: number): void {
    const buffers = this.#buffers;
    const queuedBefore = buffers.queuedRecords;
    const bytesBefore = buffers.queuedBytes;
    const now = this.#deps.clock.now();
    const started = buffers.add(item, generation, now);
    // Wake the pump only when its plan changes: a batch just filled up, or a new deadline comes
    // before the timer that is set (or none is).
    const filled = (queuedBefore < this.#limits.maxRecords && buffers.queuedRecords >= this.#limits.maxRecords) ||
      (bytesBefore < this.#fullBatchBytes && buffers.queuedBytes >= this.#fullBatchBytes);
    const wakeAt = this.#timer.at;
    // An idle producer sends a new head record at once (sendWhenIdle), so it is due now.
    const deadline = started && (this.#idle() || wakeAt === undefined || wakeAt > now + this.#options.bufferTimeMs);
    if (filled || deadline) this.#schedule();
  }

  /** Send everything without waiting for fuller batches until the returned function is called. */
  holdFlushing(): () => void {
    this.#flushing++;
    this.#schedule();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#flushing--;
    };
  }

  /** The producer failed for good: fail every held and queued item (in-flight ones fail as they return). */
  failEverything(failure: Failure): void {
    if (this.#failed !== undefined) return;
    this.#failed = failure;
    this.#timer.cancel();
    this.#reshard.releaseHeld();
    for (const entry of this.#buffers.drainAll()) {
      this.#settle(entry.items, entry.generation, { code: failure.code, message: `not sent: ${failure.message}` }, entry.attempts);
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#timer.cancel();
    this.#reshard.releaseHeld();
  }

  #schedule(): void {
    if (this.#pumpQueued || this.#stopped) return;
    this.#pumpQueued = true;
    queueMicrotask(() => {
      this.#pumpQueued = false;
      this.#pump();
    });
  }

  /** Do everything that can be done now, then set the timer for the next thing that will need doing. */
  #pump(): void {
    if (this.#stopped || this.#failed !== undefined) return;
    const buffers = this.#buffers;
    const now = this.#deps.clock.now();
    this.#reshard.poll(now);
    // Puts waiting for room (back-pressure) must not wait for fuller batches: send what is queued,
    // and when nothing is on its way that would free room, emit the aggregates too.
    const pressured = this.#deps.admission.waiting > 0;
    const flushing = this.#flushing > 0;
    buffers.flushAggregators(now, flushing || (pressured && buffers.queuedRecords === 0 && this.#inFlight === 0));
    if (this.#idle()) buffers.emitIdleAggregates();
    this.#failRejected();
    const eager = flushing || pressured;
    if (now >= this.#blockedUntil) {
      while (this.#inFlight < this.#options.concurrency && buffers.queuedRecords > 0) {
        if (!eager && !this.#fullBatchQueued() && !this.#dueRecordSendable(now)) break;
        const lanes = buffers.lanes;
        const batch = takeBatch(lanes, this.#rotation++ % lanes.length, this.#limits, this.#limiter, now);
        if (batch.length === 0) break;
        buffers.noteTaken(batch);
        this.#send(batch, now);
      }
    }
    this.#timer.set(this.#nextWake(now, eager), now);
  }

  /** Something outside changed (a put began to wait for room): look again. */
  nudge(): void {
    this.#schedule();
  }

  #fullBatchQueued(): boolean {
    return this.#buffers.queuedRecords >= this.#limits.maxRecords || this.#buffers.queuedBytes >= this.#fullBatchBytes;
  }

  /**
   * Nothing is in flight and `sendWhenIdle` is on: what is queued goes now (Nagle's rule): a lone record
   * waits for no timer, and records put while a request is in flight wait for it and go together.
   */
  #idle(): boolean {
    return this.#inFlight === 0 && this.#options.sendWhenIdle;
  }

  /** Some lane's oldest record has waited its buffer time (or the producer is idle), and the lane's whole request is funded. */
  #dueRecordSendable(now: number): boolean {
    const idle = this.#idle();
    for (const lane of this.#buffers.lanes) {
      const head = lane.queue.peek();
      if (head === undefined || (head.dueAt > now && !idle) || this.#laneBusy(lane)) continue;
      if (laneFundedIn(lane, this.#limits, this.#limiter, now) === 0) return true;
    }
    return false;
  }

  /** A lane with a request in flight waits for it (see takeBatch). */
  #laneBusy(lane: Lane): boolean {
    return lane.inFlight > 0;
  }

  /** When the pump must run again without being woken by an event; undefined when only events matter. */
  #nextWake(now: number, eager: boolean): number | undefined {
    const buffers = this.#buffers;
    let wake = eager ? undefined : buffers.nextAggregateDue();
    const refreshAt = this.#reshard.nextRefreshAt();
    if (refreshAt !== undefined) wake = earliest(wake, refreshAt);
    // With nothing queued, or every request slot taken, the next completion (if any) wakes the pump.
    if (buffers.queuedRecords === 0) return this.#inFlight > 0 ? this.#keepPending(wake) : wake;
    if (this.#inFlight >= this.#options.concurrency) return this.#keepPending(wake);
    if (now < this.#blockedUntil) return earliest(wake, this.#blockedUntil);
    const sendAsap = eager || this.#fullBatchQueued() || this.#idle();
    let waitsForAnswer = false;
    for (const lane of buffers.lanes) {
      const head = lane.queue.peek();
      if (head === undefined) continue;
      if (this.#laneBusy(lane)) {
        waitsForAnswer = true;
        continue;
      }
      // Not when one record's budget is back, but when the lane's whole request is (see takeBatch).
      const sendable = now + laneFundedIn(lane, this.#limits, this.#limiter, now);
      wake = earliest(wake, sendAsap ? sendable : Math.max(sendable, head.dueAt));
    }
    return waitsForAnswer ? this.#keepPending(wake) : wake;
  }

  /**
   * A request is in flight and its answer will wake the pump: keep a wake-up already set rather than
   * cancel it now and make a new one after the answer (an AbortController and a timer per request).
   * Firing early costs one pump that finds nothing to do; an idle producer still holds no timer.
   */
  #keepPending(wake: number | undefined): number | undefined {
    const pending = this.#timer.at;
    return pending === undefined ? wake : earliest(wake, pending);
  }

  #send(batch: QueuedRecord[], now: number): void {
    const lanes = new Set<Lane>();
    for (const record of batch) {
      record.attempts++;
      const lane = this.#buffers.lane(record.shardId);
      if (lane !== undefined) lanes.add(lane);
    }
    for (const lane of lanes) lane.inFlight++;
    this.#inFlight++;
    this.#deps.metrics.requests++;
    // One attempt per request: retrying is decided per entry here, not for the request as a whole.
    sendPutRecords(this.#deps.client, this.#options.streamName, batch, { signal: this.#deps.signal, maxAttempts: 1 })
      .then(
        (result) => ({ result, requestFailure: undefined }),
        (error: unknown) => ({ result: undefined, requestFailure: requestFailureOutcome(error) }),
      )
      .then(({ result, requestFailure }) => {
        this.#inFlight--;
        for (const lane of lanes) lane.inFlight--;
        this.#apply(batch, result, requestFailure, now, lanes.size);
        this.#schedule();
      })
      .catch((error: unknown) => {
        // Only a bug gets here; fail loudly through flush/close rather than as an unhandled rejection.
        this.#deps.onFatal({ code: "InternalError", message: error instanceof Error ? error.message : String(error), cause: error });
      });
  }

  /** Settle delivered records, fail the hopeless, and put the rest back with backoff. */
  #apply(batch: QueuedRecord[], answers: PutRecordsAnswer[] | undefined, failed: FailureOutcome | undefined, sentAt: number, shards: number): void {
    const now = this.#deps.clock.now();
    let requestFailure = failed;
    if (answers !== undefined && answers.length !== batch.length) requestFailure = mismatchedAnswer(batch.length, answers.length);
    const retry: QueuedRecord[] = [];
    /** Per shard: the most attempts among its failed records, and whether it was throttled. */
    const shardBackoff = new Map<string, { attempts: number; throttled: boolean }>();
    const delivered = new DeliveredItems();
    let fatal: FailureOutcome | undefined;
    const stats = { delivered: 0, retrying: 0, failed: 0, throttled: 0, userRecords: 0, bytes: 0 };
    const metrics = this.#deps.metrics;
    let storedBytes = 0;
    if (requestFailure !== undefined) metrics.error(requestFailure.code);
    for (let i = 0; i < batch.length; i++) {
      const record = batch[i]!;
      stats.userRecords += record.items.length;
      stats.bytes += record.bytes;
      let outcome = requestFailure;
      if (outcome === undefined) {
        const answer = answers![i]!;
        const errorCode = answer.ErrorCode;
        if (errorCode == null || errorCode === "") {
          stats.delivered++;
          storedBytes += record.bytes;
          // Landed where the map did not expect (the stream resharded): a stale aggregate waits for the new map.
          const shardId = answer.ShardId;
          if (shardId != null && shardId !== record.shardId && this.#reshard.landed(record, shardId)) continue;
          delivered.add(record);
          continue;
        }
        outcome = entryFailure(errorCode, answer.ErrorMessage ?? undefined);
        metrics.error(errorCode);
      }
      if (outcome.kind === "retry" && outcome.throttled) stats.throttled++;
      if (outcome.kind === "fatal") fatal ??= outcome;
      if (outcome.kind === "fatal" || this.#failed !== undefined || this.#stopped || record.attempts >= this.#options.maxAttempts) {
        stats.failed++;
        this.#settle(record.items, record.generation, outcome, record.attempts);
        continue;
      }
      stats.retrying++;
      retry.push(record);
      const seen = shardBackoff.get(record.shardId);
      const throttled = outcome.throttled;
      if (seen === undefined) shardBackoff.set(record.shardId, { attempts: record.attempts, throttled });
      else shardBackoff.set(record.shardId, { attempts: Math.max(seen.attempts, record.attempts), throttled: seen.throttled || throttled });
    }
    delivered.settle(this.#deps.settlement, this.#deps.admission, metrics);
    metrics.kinesisRecordsPut += stats.delivered;
    metrics.bytesPut += storedBytes;
    metrics.retries += stats.retrying;
    metrics.throttles += stats.throttled;
    if (retry.length > 0) this.#buffers.requeue(retry);
    if (requestFailure !== undefined && requestFailure.kind === "retry") {
      // The whole request failed: back off the producer as a whole, longer after each failure in a row.
      this.#blockedUntil = now + backoffDelay(defaultBackoff, this.#requestFailureStreak++, requestFailure.throttled, this.#deps.random);
    } else {
      if (requestFailure === undefined) this.#requestFailureStreak = 0;
      for (const [shardId, { attempts, throttled }] of shardBackoff) {
        const until = now + backoffDelay(defaultBackoff, attempts - 1, throttled, this.#deps.random);
        if (throttled) this.#limiter.throttled(shardId, until, now);
        else this.#limiter.block(shardId, until, now);
      }
    }
    this.#report({
      records: batch.length,
      userRecords: stats.userRecords,
      bytes: stats.bytes,
      delivered: stats.delivered,
      retrying: stats.retrying,
      failed: stats.failed,
      throttled: stats.throttled,
      shards,
      durationMs: now - sentAt,
      ...(requestFailure === undefined ? {} : { requestError: requestFailure.code }),
    });
    if (fatal !== undefined) this.#deps.onFatal({ code: fatal.code, message: fatal.message, cause: fatal.cause });
  }

  /** Items are done: release their room in the queue and tell the flush bookkeeping. */
  #settle(items: readonly UserRecord[], generation: number, failure: { code: string; message: string } | undefined, attempts: number): void {
    const failures = failure === undefined ? undefined : items.map(
      (item): FailedRecord => ({
        data: item.data,
        partitionKey: item.partitionKey,
        ...(item.explicitHashKey === undefined ? {} : { explicitHashKey: item.explicitHashKey }),
        errorCode: failure.code,
        errorMessage: failure.message,
        attempts,
      }),
    );
    if (failure === undefined) this.#deps.metrics.recordsPut += items.length;
    this.#deps.settlement.settle(generation, items.length, failures);
    this.#deps.admission.release(items.length);
  }

  /** Items that turned out not to fit after all (only an unusual processor can cause it). */
  #failRejected(): void {
    for (const rejected of this.#buffers.takeRejected()) {
      this.#settle(rejected.items, rejected.generation, { code: rejected.error.name, message: rejected.error.message }, 0);
    }
  }

  #report(stats: FlushStats): void {
    const afterFlush = this.#deps.afterFlush;
    if (afterFlush === undefined) return;
    try {
      const result = afterFlush(stats);
      // A failing callback must not stop delivery; its rejection is deliberately ignored.
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // Same for a callback that throws.
    }
  }
}

/** Delivered items of one answer, settled together: one bookkeeping call per generation, not per record. */
class DeliveredItems {
  #generation = -1;
  #count = 0;
  #total = 0;
  #others: Map<number, number> | undefined;

  add(record: QueuedRecord): void {
    const count = record.items.length;
    this.#total += count;
    if (record.generation === this.#generation || this.#count === 0) {
      this.#generation = record.generation;
      this.#count += count;
      return;
    }
    this.#others ??= new Map();
    this.#others.set(record.generation, (this.#others.get(record.generation) ?? 0) + count);
  }

  settle(settlement: Settlement, admission: Admission, metrics: ProducerMetrics): void {
    if (this.#total === 0) return;
    metrics.recordsPut += this.#total;
    settlement.settle(this.#generation, this.#count);
    if (this.#others !== undefined) { for (const [generation, count] of this.#others) settlement.settle(generation, count); }
    admission.release(this.#total);
  }
}

function earliest(a: number | undefined, b: number): number {
  return a === undefined || b < a ? b : a;
}
