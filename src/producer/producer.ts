import { pickClientOptions } from "../aws/client-options.ts";
import { ClosedError, PutFailedError } from "../errors.ts";
import { type WaitOptions, waitSignal } from "../config/validate.ts";
import { abortReason, type Clock, systemClock } from "../internal/clock.ts";
import { untilAborted } from "../internal/until-aborted.ts";
import { KinesisClient } from "../kinesis/client.ts";
import { JsonProcessor } from "../processors/json.ts";
import type { Processor } from "../processors/types.ts";
import { Admission } from "./admission.ts";
import { type Failure, PutDelivery } from "./delivery.ts";
import { ProducerMetrics, type ProducerStats } from "./metrics.ts";
import { parseExplicitHashKey, randomPartitionKey, validatePartitionKey } from "./keys.ts";
import { type ProducerOptions, type ResolvedProducerOptions, resolveProducerOptions } from "./options.ts";
import type { UserRecord } from "./queued-record.ts";
import { Settlement } from "./settlement.ts";
import { ShardBuffers } from "./shard-buffers.ts";
import { lookUpStream } from "./stream-lookup.ts";

/** Per-item routing for `Producer.put`. */
export interface PutOptions {
  /** Route by this decimal hash key (0 to 2^128 - 1) instead of the MD5 of the partition key. */
  explicitHashKey?: string | undefined;
}

const RESOLVED = Promise.resolve();

/**
 * Batches items into PutRecords requests that fill the service limits (500 records, 5 MiB), keeps
 * each shard within its write limits, retries only the entries that failed, and reports exactly the
 * items it could not deliver.
 *
 * Nothing happens until the first `put` or `flush`: then the stream is looked up (its record size
 * limit and its shards). `put` resolves once the item is accepted (it waits while `maxQueueSize` items
 * are on their way); `flush` resolves once every item accepted before it is delivered, and rejects
 * with `PutFailedError` listing those that could not be; `close` flushes and stops.
 */
export class Producer<T = unknown> implements AsyncDisposable {
  /** The stream's name or ARN, as given in the options. */
  readonly streamName: string;
  readonly #options: ResolvedProducerOptions;
  readonly #processor: Processor<T>;
  readonly #clientOptions: ProducerOptions<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #signal: AbortSignal | undefined;
  readonly #settlement: Settlement;
  readonly #admission: Admission;
  readonly #metrics = new ProducerMetrics();
  /** Stops lookups, refreshes and in-flight requests when the producer is aborted or closed. */
  readonly #stop = new AbortController();
  #delivery: PutDelivery | undefined;
  #starting: Promise<PutDelivery> | undefined;
  #state: "open" | "closing" | "closed" = "open";
  #failure: Failure | undefined;
  /** Puts that had to wait (for the stream lookup or for room); flush waits for those begun before it. */
  readonly #waitingPuts = new Set<Promise<void>>();
  #closing: Promise<void> | undefined;
  #listening = false;

  constructor(options: ProducerOptions<T>) {
    this.#options = resolveProducerOptions(options as ProducerOptions<unknown>);
    this.streamName = this.#options.streamName;
    this.#clientOptions = options;
    this.#processor = options.processor ?? (new JsonProcessor() as Processor<T>);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#signal = options.signal;
    this.#settlement = new Settlement(this.streamName, this.#options.maxRetainedFailures);
    this.#admission = new Admission(this.#options.maxQueueSize);
  }

  /**
   * Accept one item. Rejects at once, before anything is sent, with `InvalidPartitionKeyError` for a
   * bad partition key or explicit hash key, `RecordTooLargeError` for an item that can never fit in a
   * record, `ClosedError` after `close()`, and `PutFailedError` once the producer has failed. Without a
   * partition key, a random one spreads items over the shards.
   */
  put(data: T, partitionKey?: string, options?: PutOptions): Promise<void> {
    try {
      if (this.#state !== "open") throw new ClosedError("producer");
      if (this.#signal?.aborted === true) this.#abort();
      const key = partitionKey ?? randomPartitionKey(this.#random);
      validatePartitionKey(key);
      const explicitHashKey = options?.explicitHashKey;
      // The MD5 of the key is worked out later, and only if the stream has more than one shard.
      const item: UserRecord = explicitHashKey === undefined
        ? { data, partitionKey: key }
        : { data, partitionKey: key, explicitHashKey, hashKey: parseExplicitHashKey(explicitHashKey) };
      if (this.#failure !== undefined) throw this.#refusal(item);
      const delivery = this.#delivery;
      // Waiting puts go first: a put never overtakes an earlier one (per-key order starts here).
      if (delivery !== undefined && this.#waitingPuts.size === 0 && this.#admission.tryAcquire()) {
        this.#accept(delivery, item);
        return RESOLVED;
      }
      return this.#putSlowly(item);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Send everything accepted so far and wait for it. Rejects with `PutFailedError` listing the items
   * accepted before this call that could not be delivered (each failure is reported once).
   * Aborting `options.signal` rejects with its reason (an `AbortedError`) and abandons only the wait:
   * the items stay queued and are delivered as usual, and a later `flush` or `close` reports any failures.
   */
  flush(options?: WaitOptions): Promise<void> {
    try {
      const signal = waitSignal(options, "flush");
      if (this.#state === "closed") return Promise.reject(new ClosedError("producer"));
      return this.#flushAll(signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** A snapshot of the producer's counters (see `ProducerStats`); cheap enough to call per scrape. */
  stats(): ProducerStats {
    const metrics = this.#metrics;
    const settlement = this.#settlement;
    return {
      recordsPut: metrics.recordsPut,
      kinesisRecordsPut: metrics.kinesisRecordsPut,
      bytesPut: metrics.bytesPut,
      recordsFailed: settlement.failedTotal,
      retries: metrics.retries,
      throttles: metrics.throttles,
      requests: metrics.requests,
      recordsQueued: settlement.outstanding,
      failuresRetained: settlement.retainedFailures,
      failuresDropped: settlement.droppedTotal,
      errorsByName: Object.fromEntries(metrics.errorsByName),
    };
  }

  readonly #onAbort = (): void => this.#abort();

  /**
   * Deliver everything accepted before the call (including puts still waiting for room), then stop.
   * Rejects with `PutFailedError` listing exactly the items that could not be delivered.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** `close()`, for `await using`: leaving the scope delivers what was accepted, or throws `PutFailedError`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#state = "closing";
    try {
      await this.#starting?.catch(() => undefined);
      // Nothing was ever accepted (never used, or the stream lookup failed): nothing to deliver.
      if (this.#delivery === undefined) return;
      await this.#flushAll();
    } finally {
      this.#state = "closed";
      this.#delivery?.stop();
      this.#stop.abort();
      // A long-lived signal must not keep closed producers reachable.
      this.#signal?.removeEventListener("abort", this.#onAbort);
    }
  }

  async #flushAll(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw abortReason(signal);
    const delivery = this.#delivery ?? (await untilAborted(this.#start(), signal));
    // Send eagerly from now on: puts begun before this call may be waiting for room that only
    // deliveries free up, and they belong to this flush.
    const release = delivery.holdFlushing();
    try {
      await untilAborted(Promise.allSettled([...this.#waitingPuts]), signal);
      // An abandoned wait withdraws from the settlement: its failures stay for the next flush to report.
      await this.#settlement.waitFor(this.#settlement.cut(), signal);
    } finally {
      release();
    }
  }

  #putSlowly(item: UserRecord): Promise<void> {
    const promise = (async () => {
      let delivery: PutDelivery;
      try {
        delivery = this.#delivery ?? (await this.#start());
        const admitted = this.#admission.acquire();
        if (this.#admission.waiting > 0) delivery.nudge();
        await admitted;
      } catch (error) {
        throw this.#failure === undefined ? new PutFailedError(this.streamName, [failedItem(item, error)], { cause: error }) : this.#refusal(item);
      }
      if (this.#failure !== undefined) {
        this.#admission.release(1);
        throw this.#refusal(item);
      }
      this.#accept(delivery, item);
    })();
    this.#waitingPuts.add(promise);
    const forget = (): void => void this.#waitingPuts.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  #accept(delivery: PutDelivery, item: UserRecord): void {
    try {
      delivery.add(item, this.#settlement.generation);
    } catch (error) {
      this.#admission.release(1);
      throw error;
    }
    this.#settlement.accept(1);
  }

  /** Look the stream up once; a lookup that failed for a transient reason is tried again next time. */
  #start(): Promise<PutDelivery> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure.cause);
    this.#starting ??= this.#lookUp().then(
      (delivery) => {
        this.#delivery = delivery;
        return delivery;
      },
      (error: unknown) => {
        this.#starting = undefined;
        throw error;
      },
    );
    return this.#starting;
  }

  async #lookUp(): Promise<PutDelivery> {
    if (!this.#listening) {
      // Listened to from the first use on, not in the constructor: constructing does nothing.
      this.#listening = true;
      this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
    }
    if (this.#signal?.aborted === true) this.#abort();
    const client = new KinesisClient(pickClientOptions(this.#clientOptions));
    let facts;
    try {
      facts = await lookUpStream(client, this.streamName, this.#stop.signal);
    } catch (error) {
      // A missing stream or denied access will not fix itself: fail for good instead of asking again per put.
      if (isPersistent(error)) this.#fail({ code: errorCode(error), message: errorMessage(error), cause: error });
      throw error;
    }
    const buffers = new ShardBuffers(this.#processor as Processor, facts.maxRecordBytes, this.#options.bufferTimeMs, facts.map);
    return new PutDelivery({
      client,
      buffers,
      options: this.#options,
      clock: this.#clock,
      random: this.#random,
      settlement: this.#settlement,
      admission: this.#admission,
      metrics: this.#metrics,
      signal: this.#stop.signal,
      afterFlush: this.#clientOptions.afterFlush,
      onFatal: (failure) => this.#fail(failure),
    });
  }

  /** Persistent error: refuse new and waiting items; queued ones are failed by the delivery. */
  #fail(failure: Failure): void {
    if (this.#failure !== undefined) return;
    this.#failure = failure;
    this.#delivery?.failEverything(failure);
    this.#admission.rejectAll(failure.cause);
  }

  #abort(): void {
    if (this.#failure !== undefined) return;
    const reason = abortReason(this.#signal);
    this.#fail({ code: "AbortedError", message: "the producer's signal was aborted", cause: reason });
    this.#stop.abort(reason);
  }

  #refusal(item: UserRecord): PutFailedError {
    const failure = this.#failure!;
    return new PutFailedError(
      this.streamName,
      [{ ...publicItem(item), errorCode: failure.code, errorMessage: `not accepted: ${failure.message}`, attempts: 0 }],
      { cause: failure.cause },
    );
  }
}

function publicItem(item: UserRecord): { data: unknown; partitionKey: string; explicitHashKey?: string } {
  return item.explicitHashKey === undefined
    ? { data: item.data, partitionKey: item.partitionKey }
    : { data: item.data, partitionKey: item.partitionKey, explicitHashKey: item.explicitHashKey };
}

function failedItem(item: UserRecord, error: unknown) {
  return { ...publicItem(item), errorCode: errorCode(error), errorMessage: errorMessage(error), attempts: 0 };
}

function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const awsCode = (error as { awsCode?: unknown }).awsCode;
    if (typeof awsCode === "string") return awsCode;
    const name = (error as { name?: unknown }).name;
    if (typeof name === "string") return name;
  }
  return "UnexpectedError";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Errors retrying cannot fix: service errors marked fatal, bad credentials configuration, aborts. */
function isPersistent(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const retryable = (error as { retryable?: unknown }).retryable;
  const code = (error as { code?: unknown }).code;
  if (code === "AWS_SERVICE") return retryable === false;
  return code === "CREDENTIALS" || code === "ABORTED" || code === "CONFIG";
}
