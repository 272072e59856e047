import { amzDate, RequestSigner } from "./signer.ts";
import { signingCrypto } from "./signing-crypto.ts";
import { AbortedError, type AwsService, AwsServiceError, isRetryable, NetworkError, TimeoutError } from "../errors.ts";
import { linkSignals } from "../internal/abort.ts";
import { abortReason, type Clock, systemClock } from "../internal/clock.ts";
import { type ClientOptions, DEFAULT_MAX_ATTEMPTS, resolveRegion } from "./client-options.ts";
import { resolveEndpoint } from "./endpoints.ts";
import { type Credentials, CredentialSource, redactSecrets } from "./credentials.ts";
import { parseAwsError } from "./parse-error.ts";
import { EncodedJson } from "./encoded-json.ts";
import { EndpointReachability } from "./reachability.ts";
import { backoffDelay, type BackoffPolicy, defaultBackoff } from "../internal/backoff.ts";
import { isPermissionDenial } from "../internal/permission.ts";
import { defaultFetch } from "../internal/default-fetch.ts";
import { describeTransportFailure, netPermissionError } from "./transport-failure.ts";

/** What differs between the AWS JSON-protocol services we speak. */
export interface JsonProtocol {
  service: AwsService;
  /** `application/x-amz-json-1.1` for Kinesis, `1.0` for DynamoDB. */
  contentType: string;
  /** `Kinesis_20131202` / `DynamoDB_20120810`: prefix of the `X-Amz-Target` header. */
  targetPrefix: string;
}

/** Per-call settings of a raw client call; the client's own options apply to the rest. */
export interface CallOptions {
  /** Aborts the call, retries and backoff sleeps included; the call then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** Override the client's attempt count for this call (1 = no retry). */
  maxAttempts?: number | undefined;
  /** The least ms between a failed attempt's end and the next (a paced caller: GetRecords keeps to its shard's rate). */
  minRetryDelayMs?: number | undefined;
  /** Told the service's own clock (the `Date` header, epoch ms) when the call succeeds and the answer has one. */
  onServerTime?: ((epochMs: number) => void) | undefined;
}

/** Observes every attempt; used by metrics and by tests. Never receives credentials. */
export interface AttemptObserver {
  (event: { service: AwsService; operation: string; attempt: number; error?: unknown; delayMs?: number }): void;
}

const DEFAULT_ATTEMPT_TIMEOUT_S = 20;
/** What Kinesis and DynamoDB answer when a session token has expired: the credentials must be fetched again. */
const EXPIRED_TOKEN_CODES: ReadonlySet<string> = new Set(["ExpiredTokenException", "ExpiredToken"]);

/**
 * What an owner of a client (a consumer, a checkpointer) sets once, at construction: an observer of
 * every attempt (metrics) and the retry backoff (a checkpointer caps it at one heartbeat).
 */
export interface ClientHooks {
  /** Told of every attempt of every call: its operation, attempt number, and the error and retry delay of a failed one. */
  onAttempt?: AttemptObserver | undefined;
  /** The delays between retried attempts (full jitter; default 100 ms base, 500 ms after throttling, 20 s cap). */
  backoff?: BackoffPolicy | undefined;
}

/**
 * Signs (SigV4, see signer.ts) and sends one JSON-protocol request, parses the answer, and retries
 * retryable failures with full-jitter backoff. aws4fetch's own retry is not used: the retry decision
 * needs the AWS error code, which only the parsed body carries.
 */
export class AwsJsonClient {
  readonly protocol: JsonProtocol;
  readonly region: string;
  readonly endpoint: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly backoff: BackoffPolicy;
  readonly onAttempt: AttemptObserver | undefined;

  readonly #fetch: typeof fetch;
  readonly #credentials: CredentialSource;
  readonly #maxAttempts: number;
  readonly #attemptTimeoutMs: number;
  readonly #reachability: EndpointReachability;
  /** SigV4 for this client's endpoint, service and region (caches the day's signing key). */
  readonly #signer: RequestSigner;

  constructor(protocol: JsonProtocol, options: ClientOptions = {}, hooks: ClientHooks = {}) {
    this.protocol = protocol;
    this.backoff = hooks.backoff ?? defaultBackoff;
    this.onAttempt = hooks.onAttempt;
    this.region = resolveRegion(options.region);
    this.endpoint = resolveEndpoint(protocol.service, this.region, options.endpoint);
    this.#signer = new RequestSigner(`${this.endpoint}/`, protocol.service, this.region, protocol.contentType);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    // Bind lazily: workerd and some polyfills require `fetch` to be called with globalThis as `this`.
    const givenFetch = options.fetch;
    this.#fetch = givenFetch ?? defaultFetch;
    this.#credentials = new CredentialSource(options.credentials, () => this.clock.now(), { region: this.region, fetch: this.#fetch });
    this.#maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    this.#attemptTimeoutMs = (options.attemptTimeout ?? DEFAULT_ATTEMPT_TIMEOUT_S) * 1000;
    this.#reachability = new EndpointReachability(this.#maxAttempts);
  }

  /** Whether the endpoint has answered any request of this client yet (any HTTP status). */
  get endpointAnswered(): boolean {
    return this.#reachability.answered;
  }

  /** Send `operation` with `body`; resolve with the parsed JSON object (`{}` for an empty body). */
  async call<T>(operation: string, body: unknown, options: CallOptions = {}): Promise<T> {
    const payload = body instanceof EncodedJson ? body.bytes : JSON.stringify(body);
    const maxAttempts = options.maxAttempts ?? this.#maxAttempts;
    for (let attempt = 1;; attempt++) {
      try {
        const result = await this.#attemptOnce<T>(operation, payload, options.signal, options.onServerTime);
        this.onAttempt?.({ service: this.protocol.service, operation, attempt });
        return result;
      } catch (caught) {
        const error = this.#giveUpIfNeverAnswered(caught);
        const retryable = isRetryable(error) || this.#credentialsRenewed(error);
        if (error instanceof AwsServiceError) error.attempts = attempt;
        if (!retryable || attempt >= maxAttempts || options.signal?.aborted) {
          this.onAttempt?.({ service: this.protocol.service, operation, attempt, error });
          throw error;
        }
        const throttled = error instanceof AwsServiceError && error.throttling;
        const delayMs = Math.max(options.minRetryDelayMs ?? 0, backoffDelay(this.backoff, attempt - 1, throttled, this.random));
        this.onAttempt?.({ service: this.protocol.service, operation, attempt, error, delayMs });
        await this.clock.sleep(delayMs, options.signal);
      }
    }
  }

  async #attemptOnce<T>(
    operation: string,
    payload: string | Uint8Array<ArrayBuffer>,
    callerSignal: AbortSignal | undefined,
    onServerTime?: (epochMs: number) => void,
  ): Promise<T> {
    if (callerSignal?.aborted) throw abortReason(callerSignal);
    const credentials = await this.#credentials.get();
    // One controller per attempt, aborted by its timer or by the caller; the link to the caller's
    // (often long-lived) signal is removed when the attempt ends.
    const attempt = linkSignals([callerSignal]);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, this.#attemptTimeoutMs);
    try {
      const signed = await this.sign(operation, payload, credentials);
      let response: Response;
      let text: string;
      try {
        response = await this.#fetch(signed.url, { method: "POST", headers: signed.headers, body: payload, signal: attempt.signal });
        this.#reachability.markAnswered();
        text = await response.text();
      } catch (cause) {
        throw this.#transportError(operation, cause, callerSignal, timedOut, credentials);
      }
      if (response.status >= 200 && response.status < 300) {
        if (onServerTime !== undefined) reportServerTime(response.headers, onServerTime);
        return parseSuccess<T>(this.protocol.service, operation, text);
      }
      const error = parseAwsError(
        this.protocol.service,
        operation,
        { status: response.status, headers: response.headers, body: text },
        (message) => redactSecrets(message, credentials),
      );
      // Forget exactly the credentials the service refused, so the next attempt asks the source again.
      if (EXPIRED_TOKEN_CODES.has(error.awsCode)) this.#credentials.invalidate(credentials);
      throw error;
    } finally {
      clearTimeout(timer);
      attempt.dispose();
    }
  }

  /**
   * Sign a request without sending it; exposed so the signature can be compared with an oracle. The
   * time signed is `datetime` if given, else this client's `clock.now()` (a corrected or test clock
   * decides x-amz-date and the credential scope, as it decides every other time the client reads).
   */
  async sign(
    operation: string,
    payload: string | Uint8Array<ArrayBuffer>,
    credentials: Credentials,
    datetime?: string,
  ): Promise<{ url: string; headers: Headers }> {
    // The body is hashed once, here, with the runtime's fastest SHA-256 (node:crypto in the Node build).
    const bodyHash = await signingCrypto().sha256Hex(payload);
    const signedAt = datetime ?? amzDate(this.clock.now());
    const headers = await this.#signer.sign(`${this.protocol.targetPrefix}.${operation}`, bodyHash, credentials, signedAt);
    return { url: this.#signer.url, headers };
  }

  #transportError(
    operation: string,
    cause: unknown,
    callerSignal: AbortSignal | undefined,
    timedOut: boolean,
    credentials: Credentials,
  ): Error {
    if (callerSignal?.aborted) return abortReason(callerSignal);
    const where = `${this.protocol.service} ${operation} to ${this.endpoint}`;
    if (isPermissionDenial(cause)) return netPermissionError(this.endpoint, where, cause);
    if (timedOut) {
      return new TimeoutError(`${where} took longer than ${this.#attemptTimeoutMs} ms`, this.#attemptTimeoutMs);
    }
    // A failed fetch is a TypeError whose message differs per runtime ("fetch failed", "Network
    // connection lost", "error sending request", ...); any failure before a response is a network error.
    if (cause instanceof AbortedError) return cause;
    const detail = redactSecrets(describeTransportFailure(cause), credentials);
    return new NetworkError(`${where} failed: ${detail}`, { cause });
  }

  /**
   * A transport failure (no answer, or no answer in time) while this endpoint has never answered
   * anything: after `maxAttempts` of them it is almost surely wrong (host, port, region, DNS), so the
   * error becomes a non-retryable NetworkError that ends the callers' own retry loops too.
   */
  #giveUpIfNeverAnswered(error: unknown): unknown {
    const transport = (error instanceof NetworkError && error.retryable) || error instanceof TimeoutError;
    if (!transport || !this.#reachability.givesUpAfterFailure()) return error;
    const attempts = this.#reachability.failuresBeforeAnswer;
    const hint = `${this.endpoint} has not answered any of ${attempts} attempts; check the endpoint, region and network`;
    const cause = error instanceof NetworkError && error.cause !== undefined ? error.cause : error;
    return new NetworkError(`${error.message} (${hint})`, { cause, neverAnswered: true });
  }

  /** The token expired and the credentials come from somewhere that may hand out new ones: try again. */
  #credentialsRenewed(error: unknown): boolean {
    return error instanceof AwsServiceError && EXPIRED_TOKEN_CODES.has(error.awsCode) && this.#credentials.renewable;
  }
}

function parseSuccess<T>(service: AwsService, operation: string, text: string): T {
  if (text === "") return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    // A 2xx with a body that is not JSON is almost always a truncated transfer: retry it.
    throw new NetworkError(`${service} ${operation} returned a truncated or non-JSON body (${text.length} chars)`, { cause });
  }
}

function reportServerTime(headers: Headers, onServerTime: (epochMs: number) => void): void {
  const date = Date.parse(headers.get("date") ?? "");
  if (Number.isFinite(date)) onServerTime(date);
}
