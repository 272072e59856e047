import { type AttemptObserver, AwsJsonClient } from "../aws/json-client.ts";
import type { ClientOptions } from "../aws/client-options.ts";
import { type Credentials, CredentialSource, redactSecrets } from "../aws/credentials.ts";
import { parseAwsError } from "../aws/parse-error.ts";
import { describeTransportFailure, netPermissionError } from "../aws/transport-failure.ts";
import { AbortedError, ConfigError, NetworkError, ProtocolError, TimeoutError } from "../errors.ts";
import { linkSignals } from "../internal/abort.ts";
import { abortReason } from "../internal/clock.ts";
import { isPermissionDenial } from "../internal/permission.ts";
import { EventStreamDecoder } from "./eventstream/decoder.ts";
import { interpretMessage } from "./eventstream/messages.ts";
import { fromWireRecord } from "./client.ts";
import { subscribingFetch } from "./serves-subscriptions.ts";
import { fanOutUnavailable, subscribeTransport } from "./subscribe-transport.ts";
import type { ChildShard, KinesisRecord, WireKinesisRecord } from "./types.ts";

/** Where a subscription starts; a re-subscription continues `AFTER_SEQUENCE_NUMBER` the last continuation. */
export type SubscribePosition =
  | { type: "TRIM_HORIZON" | "LATEST" }
  | { type: "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER"; sequenceNumber: string }
  | { type: "AT_TIMESTAMP"; timestamp: Date };

/** One SubscribeToShardEvent; `R` is the record shape (decoded `KinesisRecord`, or the wire form). */
export interface SubscribeEvent<R> {
  records: R[];
  /**
   * Where to subscribe again (`AFTER_SEQUENCE_NUMBER`) to continue after this event. Absent at the
   * shard's end: then `childShards` names the shards that continue it.
   */
  continuationSequenceNumber?: string;
  millisBehindLatest?: number;
  childShards?: ChildShard[];
}

/** An open subscription: iterate its events; `close()` ends it early. It ends by itself after five minutes. */
export interface ShardSubscription<R> extends AsyncIterableIterator<SubscribeEvent<R>> {
  close(): Promise<void>;
}

export interface SubscribeClientOptions extends ClientOptions {
  /**
   * The transport for SubscribeToShard: a `fetch` whose answer streams (default: `node:http2` in
   * the Node build, the runtime's `fetch` elsewhere). `fetch` stays the transport of every other call.
   */
  subscribeFetch?: typeof fetch | undefined;
  /** Seconds without any bytes on an open subscription before it is abandoned as dead (default 60; AWS sends an event at least every 5 s). */
  subscriptionIdleTimeout?: number | undefined;
}

/** What a SubscribeToShard client shares with the Kinesis client of the same consumer. */
export interface SubscribeClientShared {
  /**
   * Sign with this client (a consumer's Kinesis client's `http`) and take credentials from its source:
   * the credential chain (files, IMDS, STS) or provider is resolved once per consumer, not once per
   * path, and credentials refused as expired on either path are fetched again for both. Its endpoint,
   * region and clock apply. Default: a signer and a credential source of its own, from the options.
   */
  signer?: AwsJsonClient | undefined;
  /**
   * Told of each SubscribeToShard attempt (one per call: the caller retries), as a client's `onAttempt`
   * is of its calls, so throttled subscriptions are counted with throttled GetRecords. Default: the
   * shared signer's `onAttempt`.
   */
  onAttempt?: AttemptObserver | undefined;
  /** Wraps the SubscribeToShard transport: a bounded step counts each request there, as it does in the Kinesis client's fetch. */
  wrapTransport?: ((transport: typeof fetch) => typeof fetch) | undefined;
}

export interface SubscribeCallOptions {
  signal?: AbortSignal | undefined;
}

const KINESIS_PROTOCOL = { service: "kinesis", contentType: "application/x-amz-json-1.1", targetPrefix: "Kinesis_20131202" } as const;
const DEFAULT_ATTEMPT_TIMEOUT_S = 20;
const DEFAULT_IDLE_TIMEOUT_S = 60;
/** What Kinesis answers when a session token has expired. */
export const EXPIRED_TOKEN_CODES: ReadonlySet<string> = new Set(["ExpiredTokenException", "ExpiredToken"]);
const utf8 = new TextDecoder();

interface WireSubscribeEvent {
  Records?: WireKinesisRecord[] | null;
  ContinuationSequenceNumber?: string | null;
  MillisBehindLatest?: number | null;
  ChildShards?: Array<{ ShardId: string; ParentShards?: string[] | null; HashKeyRange: { StartingHashKey: string; EndingHashKey: string } }> | null;
}

/**
 * SubscribeToShard (enhanced fan-out): a signed POST like every other call, whose 200 answer is an
 * `application/vnd.amazon.eventstream` body carrying `SubscribeToShardEvent`s for up to five minutes.
 *
 * One attempt per call: the caller (the fan-out reader) owns retries, as it must re-subscribe from
 * the last continuation anyway. The body is read only as fast as events are taken, so a consumer
 * whose queue is full stops reading and HTTP/2 flow control stops the sender.
 */
export class SubscribeClient {
  /** Signs requests and knows the endpoint and region; its own `call` is not used for SubscribeToShard. */
  readonly #signer: AwsJsonClient;
  readonly #credentials: CredentialSource;
  readonly #transport: typeof fetch;
  readonly #onAttempt: AttemptObserver | undefined;
  readonly #attemptTimeoutMs: number;
  readonly #idleTimeoutMs: number;

  constructor(options: SubscribeClientOptions = {}, option = "fanOut", shared: SubscribeClientShared = {}) {
    // The in-memory Kinesis of async-kinesis/testing answers SubscribeToShard through the client's own fetch.
    const inMemory = subscribingFetch(options.fetch);
    if (options.subscribeFetch === undefined && inMemory === undefined) {
      const unavailable = fanOutUnavailable(option);
      if (unavailable !== undefined) throw unavailable;
    }
    const { subscribeFetch, subscriptionIdleTimeout, ...clientOptions } = options;
    this.#signer = shared.signer ?? new AwsJsonClient(KINESIS_PROTOCOL, clientOptions);
    this.#credentials = shared.signer?.credentialSource ?? new CredentialSource(options.credentials, () => this.#signer.clock.now(), {
      region: this.#signer.region,
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    });
    this.#onAttempt = shared.onAttempt ?? shared.signer?.onAttempt;
    const transport = subscribeFetch ?? inMemory ?? subscribeTransport;
    this.#transport = shared.wrapTransport === undefined ? transport : shared.wrapTransport(transport);
    this.#attemptTimeoutMs = (options.attemptTimeout ?? DEFAULT_ATTEMPT_TIMEOUT_S) * 1000;
    const idle = subscriptionIdleTimeout ?? DEFAULT_IDLE_TIMEOUT_S;
    if (!(idle > 0)) throw new ConfigError("subscriptionIdleTimeout", "must be a number of seconds > 0");
    this.#idleTimeoutMs = idle * 1000;
  }

  get endpoint(): string {
    return this.#signer.endpoint;
  }

  /** Whether credentials refused as expired can be fetched again (a provider or the chain, not static keys). */
  get credentialsRenewable(): boolean {
    return this.#credentials.renewable;
  }

  /** Subscribe and decode each record's data from base64. */
  async subscribe(
    consumerArn: string,
    shardId: string,
    position: SubscribePosition,
    options: SubscribeCallOptions = {},
  ): Promise<ShardSubscription<KinesisRecord>> {
    const raw = await this.subscribeRaw(consumerArn, shardId, position, options);
    return mapSubscription(raw, (event) => ({ ...event, records: event.records.map(fromWireRecord) }));
  }

  /**
   * Subscribe, with records as the JSON carried them (data still base64). Resolves once the service
   * accepted (HTTP 200); an error answer rejects with its AwsServiceError. Errors sent inside the
   * stream (e.g. `ResourceInUseException` from a server that accepts first) reject the iteration.
   */
  async subscribeRaw(
    consumerArn: string,
    shardId: string,
    position: SubscribePosition,
    options: SubscribeCallOptions = {},
  ): Promise<ShardSubscription<WireKinesisRecord>> {
    const attempt = { service: "kinesis", operation: "SubscribeToShard", attempt: 1 } as const;
    let subscription: ShardSubscription<WireKinesisRecord>;
    try {
      subscription = await this.#subscribeOnce(consumerArn, shardId, position, options.signal);
    } catch (error) {
      this.#onAttempt?.({ ...attempt, error });
      throw error;
    }
    this.#onAttempt?.(attempt);
    return subscription;
  }

  async #subscribeOnce(
    consumerArn: string,
    shardId: string,
    position: SubscribePosition,
    caller: AbortSignal | undefined,
  ): Promise<ShardSubscription<WireKinesisRecord>> {
    if (caller?.aborted) throw abortReason(caller);
    const payload = JSON.stringify({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: wirePosition(position) });
    const credentials = await this.#credentials.get();
    const signed = await this.#signer.sign("SubscribeToShard", payload, credentials);
    // The subscription's own signal, given to the transport: the caller's, close(), and — until the
    // answer's headers come — the attempt timeout (a request that never got an answer is dead anyway).
    const life = linkSignals([caller]);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      life.abort();
    }, this.#attemptTimeoutMs);
    let response: Response;
    try {
      response = await this.#transport(signed.url, { method: "POST", headers: signed.headers, body: payload, signal: life.signal });
    } catch (cause) {
      life.dispose();
      throw this.#transportError(cause, caller, timedOut, credentials);
    } finally {
      clearTimeout(timer);
    }
    if (response.status < 200 || response.status >= 300) {
      const body = await response.text().catch(() => "");
      life.dispose();
      const error = parseAwsError(
        "kinesis",
        "SubscribeToShard",
        { status: response.status, headers: response.headers, body },
        (text) => redactSecrets(text, credentials),
      );
      // Forget exactly the credentials the service refused, so the next subscription asks the source again.
      if (EXPIRED_TOKEN_CODES.has(error.awsCode)) this.#credentials.invalidate(credentials);
      throw error;
    }
    if (response.body === null) {
      life.dispose();
      throw new ProtocolError("SubscribeToShard answered 200 without a body");
    }
    return new EventStreamSubscription(response.body, life, this.#signer.clock, this.#idleTimeoutMs, caller);
  }

  #transportError(cause: unknown, caller: AbortSignal | undefined, timedOut: boolean, credentials: Credentials): Error {
    if (caller?.aborted) return abortReason(caller);
    const where = `kinesis SubscribeToShard to ${this.#signer.endpoint}`;
    if (isPermissionDenial(cause)) return netPermissionError(this.#signer.endpoint, where, cause);
    if (timedOut) return new TimeoutError(`${where} took longer than ${this.#attemptTimeoutMs} ms to answer`, this.#attemptTimeoutMs);
    if (cause instanceof AbortedError) return cause;
    return new NetworkError(`${where} failed: ${redactSecrets(describeTransportFailure(cause), credentials)}`, { cause });
  }
}

function wirePosition(position: SubscribePosition): Record<string, unknown> {
  switch (position.type) {
    case "AT_SEQUENCE_NUMBER":
    case "AFTER_SEQUENCE_NUMBER":
      return { Type: position.type, SequenceNumber: position.sequenceNumber };
    case "AT_TIMESTAMP":
      return { Type: position.type, Timestamp: position.timestamp.getTime() / 1000 };
    default:
      return { Type: position.type };
  }
}

/**
 * Events out of a streaming body, one chunk read per event needed: nothing is read ahead of what the
 * iterator is asked for beyond the chunk in hand, so an unread subscription holds one chunk.
 */
class EventStreamSubscription implements ShardSubscription<WireKinesisRecord> {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new EventStreamDecoder();
  readonly #pending: Array<SubscribeEvent<WireKinesisRecord>> = [];
  readonly #life: { signal: AbortSignal; abort(reason?: unknown): void; dispose(): void };
  readonly #clock: { sleep(ms: number, signal?: AbortSignal): Promise<void> };
  readonly #idleTimeoutMs: number;
  readonly #caller: AbortSignal | undefined;
  #done = false;

  constructor(
    body: ReadableStream<Uint8Array>,
    life: { signal: AbortSignal; abort(reason?: unknown): void; dispose(): void },
    clock: { sleep(ms: number, signal?: AbortSignal): Promise<void> },
    idleTimeoutMs: number,
    caller: AbortSignal | undefined,
  ) {
    this.#reader = body.getReader();
    this.#life = life;
    this.#clock = clock;
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#caller = caller;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<SubscribeEvent<WireKinesisRecord>, undefined>> {
    for (;;) {
      const event = this.#pending.shift();
      if (event !== undefined) return { done: false, value: event };
      if (this.#done) return { done: true, value: undefined };
      let chunk: Uint8Array | undefined;
      try {
        chunk = await this.#read();
      } catch (error) {
        await this.#finish();
        throw error;
      }
      try {
        if (chunk === undefined) {
          this.#decoder.end();
          await this.#finish();
          continue;
        }
        for (const message of this.#decoder.push(chunk)) {
          const { eventType, payload } = interpretMessage(message, "kinesis", "SubscribeToShard");
          // `initial-response` (AWS's first message) carries nothing; unknown event types are skipped for forward compatibility.
          if (eventType === "SubscribeToShardEvent") this.#pending.push(parseEvent(payload));
        }
      } catch (error) {
        await this.#finish();
        throw error;
      }
    }
  }

  async return(): Promise<IteratorResult<SubscribeEvent<WireKinesisRecord>, undefined>> {
    await this.close();
    return { done: true, value: undefined };
  }

  async close(): Promise<void> {
    this.#pending.length = 0;
    await this.#finish();
  }

  /** The next chunk, undefined at the end; a NetworkError after the idle timeout or when the transfer broke. */
  async #read(): Promise<Uint8Array | undefined> {
    const idle = linkSignals([this.#life.signal]);
    let idleFired = false;
    void this.#clock.sleep(this.#idleTimeoutMs, idle.signal).then(
      () => {
        idleFired = true;
        void this.#reader.cancel().catch(() => undefined);
      },
      () => undefined,
    );
    try {
      const { done, value } = await this.#reader.read();
      if (this.#caller?.aborted) throw abortReason(this.#caller);
      if (idleFired) throw new NetworkError(`SubscribeToShard sent nothing for ${this.#idleTimeoutMs} ms: subscription abandoned`);
      return done ? undefined : value;
    } catch (cause) {
      if (this.#caller?.aborted) throw abortReason(this.#caller);
      if (cause instanceof NetworkError) throw cause;
      throw new NetworkError(`SubscribeToShard event stream broke: ${describeTransportFailure(cause)}`, { cause });
    } finally {
      idle.abort();
      idle.dispose();
    }
  }

  async #finish(): Promise<void> {
    if (this.#done) return;
    this.#done = true;
    try {
      await this.#reader.cancel();
    } catch {
      // Already errored or closed: nothing left to release.
    }
    this.#life.abort(new AbortedError("subscription closed"));
    this.#life.dispose();
  }
}

function parseEvent(payload: Uint8Array): SubscribeEvent<WireKinesisRecord> {
  let wire: WireSubscribeEvent;
  try {
    wire = JSON.parse(utf8.decode(payload)) as WireSubscribeEvent;
  } catch (cause) {
    throw new ProtocolError("SubscribeToShardEvent payload is not JSON", { cause });
  }
  const event: SubscribeEvent<WireKinesisRecord> = { records: wire.Records ?? [] };
  if (wire.ContinuationSequenceNumber != null) event.continuationSequenceNumber = wire.ContinuationSequenceNumber;
  if (wire.MillisBehindLatest != null) event.millisBehindLatest = wire.MillisBehindLatest;
  if (wire.ChildShards != null && wire.ChildShards.length > 0) {
    event.childShards = wire.ChildShards.map((child) => ({
      shardId: child.ShardId,
      parentShards: child.ParentShards ?? [],
      hashKeyRange: { startingHashKey: child.HashKeyRange.StartingHashKey, endingHashKey: child.HashKeyRange.EndingHashKey },
    }));
  }
  return event;
}

function mapSubscription<A, B>(source: ShardSubscription<A>, map: (event: SubscribeEvent<A>) => SubscribeEvent<B>): ShardSubscription<B> {
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const result = await source.next();
      return result.done === true ? { done: true, value: undefined } : { done: false, value: map(result.value) };
    },
    async return() {
      await source.close();
      return { done: true, value: undefined };
    },
    close: () => source.close(),
  };
}
