import type { Clock } from "../../internal/clock.ts";
import { decodeBase64, encodeBase64 } from "../../internal/base64.ts";
import { FaultQueue } from "../faults.ts";
import { FakeAwsError, invalid, type Json, numberField, stringField } from "../wire.ts";
import { IteratorTable } from "./iterators.ts";
import { makeToken, parseToken, selectShards, type ShardSelection, shardSelection } from "./list-shards.ts";
import { checkedSize, startIndex } from "./record-requests.ts";
import { StreamConsumerRegistry } from "./stream-consumers.ts";
import { FakeSubscription } from "./subscription.ts";
import { StreamState } from "./stream-state.ts";
import { wireShard } from "./wire-shapes.ts";

const MAX_GET_RECORDS = 10_000;
const MAX_PUT_RECORDS = 500;
const MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024;

/** A record to put through the admin API: bytes or a string (UTF-8). */
export interface FakePutEntry {
  /** The payload; a string is stored as its UTF-8 bytes. */
  data: Uint8Array | string;
  /** Routes the record by its MD5, as Kinesis does. */
  partitionKey: string;
  /** A decimal hash key that routes the record instead of the partition key. */
  explicitHashKey?: string;
}

/** A stored record as the admin API shows it. */
export interface FakeRecordView {
  /** The shard that holds the record. */
  shardId: string;
  /** The record's sequence number, a decimal string. */
  sequenceNumber: string;
  /** The partition key it was put with. */
  partitionKey: string;
  /** The stored payload bytes. */
  data: Uint8Array;
  /** When the fake accepted it, by the fake's clock. */
  approximateArrivalTimestamp: Date;
}

/** A shard as the admin API shows it. */
export interface FakeShardView {
  /** The shard's id, e.g. `shardId-000000000000`. */
  shardId: string;
  /** The shard it was split from or merged out of; absent for an original shard. */
  parentShardId?: string;
  /** The second parent of a merged shard; absent otherwise. */
  adjacentParentShardId?: string;
  /** The lowest hash key the shard takes, a decimal string. */
  startingHashKey: string;
  /** The highest hash key the shard takes, inclusive, a decimal string. */
  endingHashKey: string;
  /** False once a reshard has closed the shard: it takes no more records. */
  open: boolean;
}

/**
 * The in-memory Kinesis: the wire operations the library's clients send, and an admin API for tests
 * (create streams, reshard, put and read records directly, inject throttling and failures).
 */
export class FakeKinesis {
  readonly #streams = new Map<string, StreamState>();
  readonly #iterators = new IteratorTable();
  readonly #faults = new FaultQueue("ProvisionedThroughputExceededException");
  #failRecords = 0;
  readonly #consumers = new StreamConsumerRegistry(
    (body) => this.#streamOf(body),
    (stream) => this.#streams.get(stream.name) === stream,
  );

  constructor(
    readonly clock: Clock,
    readonly region: string,
  ) {}

  // ---- admin API -------------------------------------------------------------------------------

  /** Create an ACTIVE stream with `shards` shards splitting the hash-key space evenly. */
  createStream(name: string, shards: number): void {
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) throw new RangeError(`invalid stream name ${JSON.stringify(name)}`);
    if (this.#streams.has(name)) throw new FakeAwsError("ResourceInUseException", `Stream ${name} under account 000000000000 already exists.`);
    this.#streams.set(name, new StreamState(name, shards, this.clock.now(), this.region));
  }

  /** Remove a stream and its records at once (no DELETING phase); throws if it does not exist. */
  deleteStream(name: string): void {
    const state = this.#stream(name);
    this.#streams.delete(name);
    this.#consumers.forget(state);
  }

  /** Split an open shard (at the middle of its range by default); returns the two children's ids. */
  splitShard(stream: string, shardId: string, newStartingHashKey?: string): [string, string] {
    const [a, b] = this.#stream(stream).split(shardId, newStartingHashKey);
    return [a.shardId, b.shardId];
  }

  /** Merge two adjacent open shards; returns the child's id. */
  mergeShards(stream: string, shardId: string, adjacentShardId: string): string {
    return this.#stream(stream).merge(shardId, adjacentShardId).shardId;
  }

  /** Put records straight into the stream (no request, no faults), routed as PutRecords would. */
  putRecords(stream: string, entries: readonly FakePutEntry[]): Array<{ shardId: string; sequenceNumber: string }> {
    const state = this.#stream(stream);
    const encoder = new TextEncoder();
    return entries.map((e) => {
      const bytes = typeof e.data === "string" ? encoder.encode(e.data) : e.data;
      return state.append(encodeBase64(bytes), e.partitionKey, e.explicitHashKey, this.clock.now());
    });
  }

  /** Every shard, open and closed, in creation order. */
  shards(stream: string): FakeShardView[] {
    return this.#stream(stream).shards.map((s) => {
      const view: FakeShardView = {
        shardId: s.shardId,
        startingHashKey: String(s.startingHashKey),
        endingHashKey: String(s.endingHashKey),
        open: s.endingSequenceNumber === undefined,
      };
      if (s.parentShardId !== undefined) view.parentShardId = s.parentShardId;
      if (s.adjacentParentShardId !== undefined) view.adjacentParentShardId = s.adjacentParentShardId;
      return view;
    });
  }

  /** The records stored in the stream (one shard, or all shards in shard order). */
  records(stream: string, shardId?: string): FakeRecordView[] {
    const state = this.#stream(stream);
    const shards = shardId === undefined ? state.shards : [state.shard(shardId)];
    return shards.flatMap((s) =>
      s.records.map((r) => ({
        shardId: s.shardId,
        sequenceNumber: r.sequenceNumber,
        partitionKey: r.partitionKey,
        data: decodeBase64(r.data),
        approximateArrivalTimestamp: new Date(r.arrivedAt),
      }))
    );
  }

  /** The next `times` requests of `operation` (e.g. "GetRecords", "PutRecords") answer ProvisionedThroughputExceededException. */
  throttleNext(operation: string, times = 1): void {
    this.#faults.throttleNext(operation, times);
  }

  /** The next `times` requests of `operation` fail with the given AWS error, or as a network failure. */
  failNext(operation: string, failure: Parameters<FaultQueue["failNext"]>[1], times = 1): void {
    this.#faults.failNext(operation, failure, times);
  }

  /** In the next PutRecords requests, the first `count` records fail with ProvisionedThroughputExceededException (the rest succeed). */
  throttleRecordsNext(count: number): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
    this.#failRecords += count;
  }

  /** Every shard iterator handed out so far answers ExpiredIteratorException from now on. */
  expireIterators(): void {
    this.#iterators.expireAll();
  }

  // ---- wire operations -------------------------------------------------------------------------

  /**
   * Answer one Kinesis JSON request, as the fake `fetch` does; throws `FakeAwsError` for the AWS error it would send.
   * SubscribeToShard answers a streaming `Response` (its event stream), which `signal` (the request's) ends.
   */
  handle(operation: string, body: Json, signal?: AbortSignal): Json | Response {
    this.#faults.take(operation);
    switch (operation) {
      case "RegisterStreamConsumer":
        return this.#consumers.register(body, this.clock.now());
      case "DescribeStreamConsumer":
        return this.#consumers.describe(body);
      case "ListStreamConsumers":
        return this.#consumers.list(body);
      case "DeregisterStreamConsumer":
        return this.#consumers.deregister(body);
      case "SubscribeToShard":
        return this.#subscribeToShard(body, signal ?? new AbortController().signal);
      case "CreateStream":
        return this.#createStream(body);
      case "DeleteStream":
        this.deleteStream(this.#streamOf(body).name);
        return {};
      case "DescribeStreamSummary":
        return this.#describeStreamSummary(body);
      case "ListShards":
        return this.#listShards(body);
      case "GetShardIterator":
        return this.#getShardIterator(body);
      case "GetRecords":
        return this.#getRecords(body);
      case "PutRecords":
        return this.#putRecords(body);
      case "PutRecord":
        return this.#putRecord(body);
      case "SplitShard":
        this.#streamOf(body).split(stringField(body, "ShardToSplit", true), stringField(body, "NewStartingHashKey", true));
        return {};
      case "MergeShards":
        this.#streamOf(body).merge(stringField(body, "ShardToMerge", true), stringField(body, "AdjacentShardToMerge", true));
        return {};
      default:
        throw new FakeAwsError("UnknownOperationException", `the in-memory Kinesis does not implement ${operation}`);
    }
  }

  #stream(name: string): StreamState {
    const state = this.#streams.get(name);
    if (state === undefined) throw new FakeAwsError("ResourceNotFoundException", `Stream ${name} under account 000000000000 not found.`);
    return state;
  }

  /** The stream a request names, by `StreamName` or `StreamARN`. */
  #streamOf(body: Json): StreamState {
    const arn = stringField(body, "StreamARN");
    if (arn !== undefined) {
      const name = arn.slice(arn.lastIndexOf("/") + 1);
      const state = this.#stream(name);
      if (state.arn !== arn) throw new FakeAwsError("ResourceNotFoundException", `Stream ${arn} not found.`);
      return state;
    }
    const name = stringField(body, "StreamName");
    if (name === undefined) throw invalid("StreamName or StreamARN is required");
    return this.#stream(name);
  }

  #createStream(body: Json): Json {
    const mode = (body["StreamModeDetails"] as { StreamMode?: string } | undefined)?.StreamMode;
    this.createStream(stringField(body, "StreamName", true), mode === "ON_DEMAND" ? 4 : (numberField(body, "ShardCount") ?? 1));
    return {};
  }

  #describeStreamSummary(body: Json): Json {
    const s = this.#streamOf(body);
    return {
      StreamDescriptionSummary: {
        StreamName: s.name,
        StreamARN: s.arn,
        StreamStatus: "ACTIVE",
        StreamModeDetails: { StreamMode: "PROVISIONED" },
        RetentionPeriodHours: 24,
        StreamCreationTimestamp: s.createdAt / 1000,
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: "NONE",
        OpenShardCount: s.openShards.length,
        ConsumerCount: this.#consumers.count(s),
      },
    };
  }

  /** Pages of `MaxResults` (default 1000); a `NextToken` request must not name the stream, as on AWS. */
  #listShards(body: Json): Json {
    const token = stringField(body, "NextToken");
    let state: StreamState;
    let selection: ShardSelection;
    let offset = 0;
    if (token !== undefined) {
      if (body["StreamName"] != null || body["StreamARN"] != null) {
        throw new FakeAwsError("InvalidArgumentException", "NextToken and StreamName cannot be provided together.");
      }
      const parsed = parseToken(token);
      state = this.#stream(parsed.stream);
      offset = parsed.offset;
      selection = parsed.selection;
    } else {
      state = this.#streamOf(body);
      selection = shardSelection(body);
    }
    const max = numberField(body, "MaxResults") ?? 1000;
    if (!Number.isInteger(max) || max < 1 || max > 10_000) throw invalid("MaxResults must be 1 to 10000");
    const listed = selectShards(state.shards, selection);
    const page = listed.slice(offset, offset + max);
    const out: Json = { Shards: page.map(wireShard) };
    if (offset + max < listed.length) out["NextToken"] = makeToken({ stream: state.name, offset: offset + max, selection });
    return out;
  }

  /** The event stream starts where a GetShardIterator of the same position would. */
  #subscribeToShard(body: Json, signal: AbortSignal): Response {
    const consumer = this.#consumers.find({ ConsumerARN: stringField(body, "ConsumerARN", true) });
    const shard = consumer.stream.shard(stringField(body, "ShardId", true));
    const position = body["StartingPosition"] as { Type?: unknown; SequenceNumber?: unknown; Timestamp?: unknown } | null | undefined;
    if (position == null || typeof position.Type !== "string") throw invalid("StartingPosition.Type is required");
    const index = startIndex(shard, position.Type, { StartingSequenceNumber: position.SequenceNumber, Timestamp: position.Timestamp });
    const subscription = new FakeSubscription(consumer, shard, index, this.clock, signal);
    return new Response(subscription.body, { status: 200, headers: { "content-type": "application/vnd.amazon.eventstream" } });
  }

  #getShardIterator(body: Json): Json {
    const state = this.#streamOf(body);
    const shard = state.shard(stringField(body, "ShardId", true));
    const type = stringField(body, "ShardIteratorType", true);
    const index = startIndex(shard, type, body);
    const position = { stream: state.name, incarnation: state.incarnation, shardId: shard.shardId, index };
    return { ShardIterator: this.#iterators.issue(position, this.clock.now()) };
  }

  #getRecords(body: Json): Json {
    const now = this.clock.now();
    const position = this.#iterators.resolve(stringField(body, "ShardIterator", true), now);
    const limit = numberField(body, "Limit") ?? MAX_GET_RECORDS;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_GET_RECORDS) throw invalid("Limit must be 1 to 10000");
    const state = this.#stream(position.stream);
    if (state.incarnation !== position.incarnation) {
      throw new FakeAwsError("ResourceNotFoundException", `Stream ${position.stream} was deleted; the iterator belongs to it`);
    }
    const shard = state.shard(position.shardId);
    const page = shard.records.slice(position.index, position.index + limit);
    const next = position.index + page.length;
    const atEnd = next >= shard.records.length;
    const records = page.map((r) => ({
      SequenceNumber: r.sequenceNumber,
      ApproximateArrivalTimestamp: r.arrivedAt / 1000,
      Data: r.data,
      PartitionKey: r.partitionKey,
    }));
    // How far the next unread record is behind now (0 when caught up), as AWS measures it.
    const millisBehindLatest = atEnd ? 0 : Math.max(0, now - (shard.records[next]?.arrivedAt ?? now));
    if (atEnd && shard.endingSequenceNumber !== undefined) {
      const children = state.shards.filter((s) => s.parentShardId === shard.shardId || s.adjacentParentShardId === shard.shardId);
      return {
        Records: records,
        NextShardIterator: null,
        MillisBehindLatest: 0,
        ChildShards: children.map((c) => ({
          ShardId: c.shardId,
          ParentShards: [c.parentShardId, c.adjacentParentShardId].filter((p) => p !== undefined),
          HashKeyRange: { StartingHashKey: String(c.startingHashKey), EndingHashKey: String(c.endingHashKey) },
        })),
      };
    }
    return {
      Records: records,
      NextShardIterator: this.#iterators.issue({ ...position, index: next }, now),
      MillisBehindLatest: millisBehindLatest,
    };
  }

  #putRecords(body: Json): Json {
    const state = this.#streamOf(body);
    const entries = body["Records"];
    if (!Array.isArray(entries) || entries.length < 1) throw invalid("Records must hold at least one record");
    if (entries.length > MAX_PUT_RECORDS) throw invalid(`Records has ${entries.length} records; at most 500 are allowed`);
    const sizes = entries.map((entry: Json) => checkedSize(entry));
    if (sizes.reduce((sum, size) => sum + size, 0) > MAX_PUT_RECORDS_BYTES) {
      throw new FakeAwsError("InvalidArgumentException", "Records size exceeds 5 MB limit");
    }
    let failed = 0;
    const results = entries.map((entry: Json) => {
      const data = stringField(entry, "Data", true);
      if (this.#failRecords > 0) {
        this.#failRecords -= 1;
        failed += 1;
        return { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "Rate exceeded for shard (fake per-record throttle)." };
      }
      const out = state.append(data, stringField(entry, "PartitionKey", true), stringField(entry, "ExplicitHashKey"), this.clock.now());
      return { SequenceNumber: out.sequenceNumber, ShardId: out.shardId };
    });
    return { FailedRecordCount: failed, Records: results, EncryptionType: "NONE" };
  }

  #putRecord(body: Json): Json {
    const state = this.#streamOf(body);
    checkedSize(body);
    const out = state.append(stringField(body, "Data", true), stringField(body, "PartitionKey", true), stringField(body, "ExplicitHashKey"), this.clock.now());
    return { SequenceNumber: out.sequenceNumber, ShardId: out.shardId, EncryptionType: "NONE" };
  }
}
