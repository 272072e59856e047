/**
 * Every error this library throws is an `AsyncKinesisError` with a literal `name` and a `code` from a
 * closed union, so `switch (err.code)` narrows and callers never match on message text.
 */

export type ErrorCode =
  | "CONFIG"
  | "CREDENTIALS"
  | "AWS_SERVICE"
  | "NETWORK"
  | "TIMEOUT"
  | "ABORTED"
  | "PROTOCOL"
  | "CLOSED"
  | "DECODE"
  | "ENCODE"
  | "RECORD_TOO_LARGE"
  | "INVALID_PARTITION_KEY"
  | "PUT_FAILED"
  | "CHECKPOINT"
  | "LEASE_LOST"
  | "TABLE_MISSING"
  | "REDIS"
  | "LIVE_LEASES"
  | "CHECKPOINT_CONFLICT";

/** Base class of every error this library throws. Match on `code` (or `name`), never on the message text. */
export class AsyncKinesisError extends Error {
  /** The concrete class name; each subclass narrows it to a string literal. */
  override readonly name: string = "AsyncKinesisError";
  /** What kind of failure this is, one value per subclass; stable across releases. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** An option was missing, of the wrong type or out of range. `option` names it as the user wrote it. */
export class ConfigError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "ConfigError"` narrows to this class. */
  override readonly name = "ConfigError" as const;
  /** The offending option's path as the user wrote it, e.g. `producer.batchSize`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super("CONFIG", `${option}: ${message}`);
    this.option = option;
  }
}

/** No credentials could be found; `searched` lists where we looked, never what we found. */
export class CredentialsError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "CredentialsError"` narrows to this class. */
  override readonly name = "CredentialsError" as const;
  /** The sources tried, in order (e.g. environment variables, profile file); never a secret. */
  readonly searched: readonly string[];

  constructor(message: string, searched: readonly string[], options?: { cause?: unknown }) {
    super("CREDENTIALS", message, options);
    this.searched = searched;
  }
}

/** The AWS service a request went to. */
export type AwsService = "kinesis" | "dynamodb";

/** What the AWS client knows about a failed response; the input of `AwsServiceError`. */
export interface AwsErrorDetails {
  /** The service that answered. */
  service: AwsService;
  /** The API action, e.g. `PutRecords` or `UpdateItem`. */
  operation: string;
  /** The AWS error code without its namespace, e.g. `ProvisionedThroughputExceededException`. */
  awsCode: string;
  /** The response's HTTP status code. */
  httpStatus: number;
  /** The `x-amzn-RequestId` header, when the response had one; quote it to AWS support. */
  requestId?: string | undefined;
  /** Whether the same request may succeed if sent again (5xx, throttling, transient codes). */
  retryable: boolean;
  /** Whether the service refused for rate or throughput; retried with a longer backoff. */
  throttling: boolean;
  /** How many attempts were made before this error was given up on (1 = no retry). */
  attempts?: number;
}

/** An error response from Kinesis or DynamoDB. */
export class AwsServiceError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "AwsServiceError"` narrows to this class. */
  override readonly name = "AwsServiceError" as const;
  /** The service that answered. */
  readonly service: AwsService;
  /** The API action, e.g. `PutRecords` or `UpdateItem`. */
  readonly operation: string;
  /** The AWS error code without its namespace, e.g. `ResourceNotFoundException`. */
  readonly awsCode: string;
  /** The response's HTTP status code. */
  readonly httpStatus: number;
  /** The `x-amzn-RequestId` header; undefined when the response had none. */
  readonly requestId: string | undefined;
  /** Whether the same request may succeed if sent again (5xx, throttling, transient codes). */
  readonly retryable: boolean;
  /** Whether the service refused for rate or throughput. */
  readonly throttling: boolean;
  /** How many attempts were made before giving up (1 = no retry). */
  attempts: number;
  /** DynamoDB's current item on a failed condition (with ReturnValuesOnConditionCheckFailure). */
  item: Record<string, unknown> | undefined;

  constructor(details: AwsErrorDetails, message: string) {
    super("AWS_SERVICE", `${details.service} ${details.operation}: ${details.awsCode} (HTTP ${details.httpStatus}): ${message}`);
    this.service = details.service;
    this.operation = details.operation;
    this.awsCode = details.awsCode;
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
    this.retryable = details.retryable;
    this.throttling = details.throttling;
    this.attempts = details.attempts ?? 1;
    this.item = undefined;
  }
}

/**
 * The request never got an HTTP answer (DNS, refused, reset, TLS). Retryable, except when the endpoint
 * has never answered at all and `maxAttempts` attempts failed (`neverAnswered`): a wrong endpoint or
 * host name, which no amount of retrying fixes. The message names the root cause (e.g. ECONNREFUSED).
 */
export class NetworkError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "NetworkError"` narrows to this class. */
  override readonly name = "NetworkError" as const;
  /** False only when `neverAnswered`: a wrong endpoint will not start answering. */
  readonly retryable: boolean;
  /** No request to this endpoint has ever been answered; retrying stopped after `maxAttempts`. */
  readonly neverAnswered: boolean;
  constructor(message: string, options?: { cause?: unknown; neverAnswered?: boolean }) {
    super("NETWORK", message, options);
    this.neverAnswered = options?.neverAnswered ?? false;
    this.retryable = !this.neverAnswered;
  }
}

/** One attempt took longer than its per-attempt timeout. Retryable. */
export class TimeoutError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "TimeoutError"` narrows to this class. */
  override readonly name = "TimeoutError" as const;
  /** Always true: a slow attempt says nothing about the next one. */
  readonly retryable = true;
  /** The per-attempt timeout that elapsed, in milliseconds. */
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number) {
    super("TIMEOUT", message);
    this.timeoutMs = timeoutMs;
  }
}

/** The caller's signal aborted the operation. */
export class AbortedError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "AbortedError"` narrows to this class. */
  override readonly name = "AbortedError" as const;
  constructor(message = "the operation was aborted", options?: { cause?: unknown }) {
    super("ABORTED", message, options);
  }
}

/** A response that parsed as HTTP 200 but is not what the protocol promises. */
export class ProtocolError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "ProtocolError"` narrows to this class. */
  override readonly name = "ProtocolError" as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super("PROTOCOL", message, options);
  }
}

/** An operation was attempted on a consumer, producer or checkpointer that is closed. */
export class ClosedError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "ClosedError"` narrows to this class. */
  override readonly name = "ClosedError" as const;
  constructor(what: string) {
    super("CLOSED", `${what} is closed`);
  }
}

/** Where a payload that failed to decode came from; the consumer fills it in, processors cannot know. */
export interface DecodeErrorOrigin {
  /** The shard the record was read from. */
  shardId?: string | undefined;
  /** The Kinesis sequence number of the record that failed. */
  sequenceNumber?: string | undefined;
  /** The position inside a KPL-aggregated record; undefined for a plain record. */
  subSequenceNumber?: number | undefined;
}

/**
 * A record payload could not be decoded (invalid UTF-8 or JSON, bad netstring framing, malformed
 * protobuf). The message never quotes the payload; `cause` holds the parser's own error if any.
 */
export class DecodeError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "DecodeError"` narrows to this class. */
  override readonly name = "DecodeError" as const;
  /** The shard the record was read from; undefined when a processor is used on its own. */
  shardId: string | undefined;
  /** The sequence number of the failing record; undefined when a processor is used on its own. */
  sequenceNumber: string | undefined;
  /** The position inside a KPL-aggregated record; undefined for a plain record. */
  subSequenceNumber: number | undefined;

  constructor(message: string, options?: { cause?: unknown } & DecodeErrorOrigin) {
    super("DECODE", message, options);
    this.shardId = options?.shardId;
    this.sequenceNumber = options?.sequenceNumber;
    this.subSequenceNumber = options?.subSequenceNumber;
  }
}

/** An item could not be serialized by its processor (e.g. `undefined`, a BigInt or a cycle for JSON). */
export class EncodeError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "EncodeError"` narrows to this class. */
  override readonly name = "EncodeError" as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super("ENCODE", message, options);
  }
}

/** One item, encoded, is larger than a record may be (`limit` bytes); it can never be sent. */
export class RecordTooLargeError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "RecordTooLargeError"` narrows to this class. */
  override readonly name = "RecordTooLargeError" as const;
  /** The encoded size in bytes, framing included (aggregation or newline framing, when the processor adds one). */
  readonly size: number;
  /** The largest record allowed, in bytes. */
  readonly limit: number;
  constructor(size: number, limit: number) {
    super("RECORD_TOO_LARGE", `record of ${size} bytes exceeds the limit of ${limit} bytes`);
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A partition key (1 to 256 characters) or explicit hash key (a decimal integer in [0, 2^128 - 1])
 * that Kinesis would reject. Raised by `Producer.put` before anything is queued or sent.
 */
export class InvalidPartitionKeyError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "InvalidPartitionKeyError"` narrows to this class. */
  override readonly name = "InvalidPartitionKeyError" as const;
  /** Which argument was wrong. */
  readonly key: "partitionKey" | "explicitHashKey";
  constructor(key: "partitionKey" | "explicitHashKey", message: string) {
    super("INVALID_PARTITION_KEY", `${key}: ${message}`);
    this.key = key;
  }
}

/** One user record the producer could not deliver, and why. */
export interface FailedRecord {
  /** The item as it was given to `put`. */
  readonly data: unknown;
  /** The partition key the record was put with. */
  readonly partitionKey: string;
  /** The explicit hash key, if the record was put with one. */
  readonly explicitHashKey?: string | undefined;
  /** The AWS error code of the last attempt (per record or for the whole request), or this library's code. */
  readonly errorCode: string;
  /** The error message of the last attempt, as AWS or this library gave it. */
  readonly errorMessage: string;
  /** PutRecords attempts that carried this record (0 if it was never sent). */
  readonly attempts: number;
}

/**
 * Records the producer accepted (or was asked to accept) and could not deliver: a persistent error
 * (access denied, stream not found, KMS), attempts exhausted, or the producer aborted. `failures`
 * lists exactly those records; every other accepted record was delivered.
 */
export class PutFailedError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "PutFailedError"` narrows to this class. */
  override readonly name = "PutFailedError" as const;
  /** The stream the records were meant for. */
  readonly streamName: string;
  /** The undelivered records, oldest first, at most the producer's `maxRetainedFailures`. */
  readonly failures: readonly FailedRecord[];
  /** Further failed records not listed in `failures`: the oldest, dropped over the producer's `maxRetainedFailures`. */
  readonly droppedFailures: number;

  constructor(streamName: string, failures: readonly FailedRecord[], options?: { cause?: unknown; droppedFailures?: number }) {
    const dropped = options?.droppedFailures ?? 0;
    const listed = failures.length === 0 ? "none listed" : summarizeFailures(failures);
    const unlisted = dropped === 0 ? "" : `; ${dropped} older failure(s) dropped unlisted (over maxRetainedFailures)`;
    super("PUT_FAILED", `${failures.length + dropped} record(s) could not be put to ${streamName}: ${listed}${unlisted}`, options);
    this.streamName = streamName;
    this.failures = failures;
    this.droppedFailures = dropped;
  }
}

function summarizeFailures(failures: readonly FailedRecord[]): string {
  const byCode = new Map<string, { count: number; message: string }>();
  for (const failure of failures) {
    const seen = byCode.get(failure.errorCode);
    if (seen === undefined) byCode.set(failure.errorCode, { count: 1, message: failure.errorMessage });
    else seen.count++;
  }
  return [...byCode].map(([code, { count, message }]) => `${count} × ${code} (${message})`).join("; ");
}

/** Why a worker no longer holds a shard's lease. */
export type LeaseLostReason =
  /** Another worker took the lease over (a conditional write found a different owner or counter). */
  | "taken"
  /** Renewals failed for longer than `sessionTimeout`; the worker stopped itself before others take over. */
  | "expired"
  /** Fair balance: another worker asked for the shard and this worker handed it over. */
  | "handed-over"
  /** This worker released it (release, finish or close). */
  | "released";

/** The reason a lease's `signal` aborts with: only that shard stops, the rest of the worker goes on. */
export class LeaseLostError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "LeaseLostError"` narrows to this class. */
  override readonly name = "LeaseLostError" as const;
  /** The shard whose lease was lost. */
  readonly shardId: string;
  /** How the lease was lost; only `taken` and `expired` mean another worker may have processed records meanwhile. */
  readonly reason: LeaseLostReason;
  /** The new owner's ref, when known. */
  readonly owner: string | undefined;

  constructor(shardId: string, reason: LeaseLostReason, message: string, owner?: string) {
    super("LEASE_LOST", `lease on ${shardId}: ${message}`);
    this.shardId = shardId;
    this.reason = reason;
    this.owner = owner;
  }
}

/** The checkpoint table does not exist and `createTable` is false; the message says how to create it. */
export class CheckpointTableMissingError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "CheckpointTableMissingError"` narrows to this class. */
  override readonly name = "CheckpointTableMissingError" as const;
  /** The table that was looked for. */
  readonly tableName: string;
  /** The option that would have created it. */
  readonly option = "createTable" as const;

  constructor(tableName: string, message: string, options?: { cause?: unknown }) {
    super("TABLE_MISSING", message, options);
    this.tableName = tableName;
  }
}

/** One or more shards' checkpoints could not be written; `failures` lists each shard with its error. */
export class CheckpointError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "CheckpointError"` narrows to this class. */
  override readonly name = "CheckpointError" as const;
  /** Each shard whose checkpoint was not written, with the error its write failed with. */
  readonly failures: ReadonlyArray<{ readonly shardId: string; readonly error: unknown }>;

  constructor(message: string, failures: ReadonlyArray<{ shardId: string; error: unknown }>) {
    const shards = failures.map((f) => f.shardId).join(", ");
    super("CHECKPOINT", `${message}: ${failures.length} shard(s) failed (${shards})`, failures.length === 1 ? { cause: failures[0]!.error } : undefined);
    this.failures = failures;
  }
}

/**
 * A Redis command of `RedisCheckPointer` failed: Redis answered with an error (`replyCode`, e.g.
 * `WRONGTYPE`), or the client could not deliver the command (`replyCode` undefined: connection lost,
 * client closed). Retryable when the server is only busy or failing over, or the connection failed.
 */
export class RedisCommandError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "RedisCommandError"` narrows to this class. */
  override readonly name = "RedisCommandError" as const;
  /** The command name, e.g. `EVALSHA` (never its arguments). */
  readonly command: string;
  /** The first word of Redis's error reply (e.g. `WRONGTYPE`, `LOADING`); undefined when no reply came. */
  readonly replyCode: string | undefined;
  /** True for `BUSY`, `LOADING`, `TRYAGAIN`, failover replies and lost connections. */
  readonly retryable: boolean;
  /** The server has never replied to this checkpointer and `maxAttempts` commands failed: not retryable. */
  readonly neverAnswered: boolean;

  constructor(
    command: string,
    replyCode: string | undefined,
    retryable: boolean,
    message: string,
    options?: { cause?: unknown; neverAnswered?: boolean },
  ) {
    super("REDIS", `redis ${command}: ${message}`, options);
    this.command = command;
    this.replyCode = replyCode;
    this.retryable = retryable;
    this.neverAnswered = options?.neverAnswered ?? false;
  }
}

/**
 * A checkpoint administration call (`resetCheckpoints`, `migrateCheckpoints`, `importPythonCheckpoints`)
 * refused to move a group's positions because live workers hold leases on them: stop the group first,
 * wait `sessionTimeout` after a crash, or pass `force`. `leases` names each shard and its owner.
 */
export class LiveLeasesError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "LiveLeasesError"` narrows to this class. */
  override readonly name = "LiveLeasesError" as const;
  /** Each shard held by a live worker, with that worker's ref (`<group>/<worker id>`). */
  readonly leases: ReadonlyArray<{ readonly shardId: string; readonly owner: string }>;

  constructor(where: string, leases: ReadonlyArray<{ shardId: string; owner: string }>) {
    const list = leases.map((l) => `${l.shardId} (${l.owner})`).join(", ");
    super("LIVE_LEASES", `${where}: live workers hold ${leases.length} lease(s): ${list}; stop them first, or force`);
    this.leases = leases;
  }
}

/**
 * A checkpoint administration write found a row changed since it was read (a worker wrote it
 * meanwhile), so it left that row alone rather than overwrite it. `conflicts` lists those shards;
 * `applied` the shards whose change did land. Run the command again once the group is stopped.
 */
export class CheckpointConflictError extends AsyncKinesisError {
  /** Literal discriminant: `err.name === "CheckpointConflictError"` narrows to this class. */
  override readonly name = "CheckpointConflictError" as const;
  /** Shards left unchanged because their row changed after it was read, with the owner found then (if any). */
  readonly conflicts: ReadonlyArray<{ readonly shardId: string; readonly owner: string | undefined }>;
  /** Shards whose change was written. */
  readonly applied: readonly string[];

  constructor(where: string, conflicts: ReadonlyArray<{ shardId: string; owner: string | undefined }>, applied: readonly string[]) {
    const list = conflicts.map((c) => (c.owner === undefined ? c.shardId : `${c.shardId} (now ${c.owner})`)).join(", ");
    super("CHECKPOINT_CONFLICT", `${where}: ${conflicts.length} row(s) changed while being written and were left as they are: ${list}`);
    this.conflicts = conflicts;
    this.applied = applied;
  }
}

/** Errors worth retrying: transient service errors, throttling, network failures, attempt timeouts. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof AwsServiceError || error instanceof RedisCommandError || error instanceof NetworkError) return error.retryable;
  return error instanceof TimeoutError;
}

/**
 * True for a Kinesis or DynamoDB throttling response (e.g. `ProvisionedThroughputExceededException`); false for anything else, network errors
 * included.
 */
export function isThrottling(error: unknown): boolean {
  return error instanceof AwsServiceError && error.throttling;
}

/** True for any error this library throws; narrows to `AsyncKinesisError` so `error.code` can be switched on. */
export function isAsyncKinesisError(error: unknown): error is AsyncKinesisError {
  return error instanceof AsyncKinesisError;
}
