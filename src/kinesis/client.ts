import { ConfigError, ProtocolError, TimeoutError } from "../errors.ts";
import * as v from "valibot";
import { clientOptionEntries, type ClientOptions } from "../aws/client-options.ts";
import { parseOptions } from "../config/validate.ts";
import { AwsJsonClient, type CallOptions, type ClientHooks } from "../aws/json-client.ts";
import { decodeBase64, encodeBase64 } from "../internal/base64.ts";
import type {
  ChildShard,
  GetRecordsPage,
  GetRecordsResult,
  HashKeyRange,
  KinesisRecord,
  PutRecordsEntry,
  PutRecordsResult,
  Shard,
  ShardFilter,
  ShardIteratorType,
  StreamSummary,
  WireKinesisRecord,
} from "./types.ts";

const KINESIS_PROTOCOL = {
  service: "kinesis",
  contentType: "application/x-amz-json-1.1",
  targetPrefix: "Kinesis_20131202",
} as const;

/** A stream is named by its name or its ARN; every operation accepts either. */
export function streamRef(stream: string): { StreamName: string } | { StreamARN: string } {
  if (stream === "") throw new ConfigError("streamName", "must not be empty");
  return stream.startsWith("arn:") ? { StreamARN: stream } : { StreamName: stream };
}

/** Typed Kinesis operations over the signed JSON client. */
export class KinesisClient {
  /** The signed JSON client underneath, for operations this class does not wrap. */
  readonly http: AwsJsonClient;

  constructor(options: ClientOptions = {}, hooks: ClientHooks = {}) {
    parseOptions(v.object(clientOptionEntries), options, "KinesisClient");
    this.http = new AwsJsonClient(KINESIS_PROTOCOL, options, hooks);
  }

  /**
   * The stream's status, retention, shard count and limits; `stream` is a name or ARN. Throws `AwsServiceError` (`ResourceNotFoundException`) for a
   * missing stream.
   */
  async describeStreamSummary(stream: string, options?: CallOptions): Promise<StreamSummary> {
    const out = await this.http.call<{ StreamDescriptionSummary?: WireSummary }>(
      "DescribeStreamSummary",
      streamRef(stream),
      options,
    );
    const s = out.StreamDescriptionSummary;
    if (s == null) throw new ProtocolError("DescribeStreamSummary returned no StreamDescriptionSummary");
    return {
      streamName: s.StreamName,
      streamArn: s.StreamARN,
      streamStatus: s.StreamStatus,
      ...(s.StreamModeDetails?.StreamMode == null ? {} : { streamMode: s.StreamModeDetails.StreamMode }),
      retentionPeriodHours: s.RetentionPeriodHours ?? 24,
      openShardCount: s.OpenShardCount ?? 0,
      ...(s.EncryptionType == null ? {} : { encryptionType: s.EncryptionType }),
      maxRecordSizeKiB: s.MaxRecordSizeInKiB ?? 1024,
      ...(s.StreamCreationTimestamp == null ? {} : { streamCreatedAt: Math.round(s.StreamCreationTimestamp * 1000) }),
    };
  }

  /**
   * Every shard of the stream, following `NextToken`. Pages after the first carry the token alone:
   * the service rejects a request that names both the stream and a token.
   */
  async listShards(stream: string, options: CallOptions & { filter?: ShardFilter; pageSize?: number } = {}): Promise<Shard[]> {
    const shards: Shard[] = [];
    const pageSize = options.pageSize === undefined ? {} : { MaxResults: options.pageSize };
    let request: Record<string, unknown> = { ...streamRef(stream), ...pageSize };
    if (options.filter !== undefined) request["ShardFilter"] = wireShardFilter(options.filter);
    for (;;) {
      const out = await this.http.call<{ Shards?: WireShard[] | null; NextToken?: string | null }>("ListShards", request, options);
      for (const shard of out.Shards ?? []) shards.push(fromWireShard(shard));
      if (out.NextToken == null || out.NextToken === "") return shards;
      request = { NextToken: out.NextToken, ...pageSize };
    }
  }

  /**
   * An iterator for `shardId` at the given position, valid for five minutes. Throws `ConfigError` when the type needs a `sequenceNumber` or
   * `timestamp` that is missing.
   */
  async getShardIterator(
    stream: string,
    shardId: string,
    type: ShardIteratorType,
    position: { sequenceNumber?: string; timestamp?: Date } = {},
    options?: CallOptions,
  ): Promise<string> {
    const request: Record<string, unknown> = { ...streamRef(stream), ShardId: shardId, ShardIteratorType: type };
    if (type === "AT_SEQUENCE_NUMBER" || type === "AFTER_SEQUENCE_NUMBER") {
      if (position.sequenceNumber === undefined) throw new ConfigError("sequenceNumber", `is required for ${type}`);
      request["StartingSequenceNumber"] = position.sequenceNumber;
    }
    if (type === "AT_TIMESTAMP") {
      if (position.timestamp === undefined) throw new ConfigError("timestamp", "is required for AT_TIMESTAMP");
      request["Timestamp"] = position.timestamp.getTime() / 1000;
    }
    const out = await this.http.call<{ ShardIterator?: string | null }>("GetShardIterator", request, options);
    if (out.ShardIterator == null) throw new ProtocolError(`GetShardIterator returned no iterator for ${shardId}`);
    return out.ShardIterator;
  }

  /** One page of records from `shardIterator` (at most `limit`, up to 10000), payloads decoded; continue with its `nextShardIterator`. */
  async getRecords(shardIterator: string, limit?: number, options?: CallOptions & { streamArn?: string }): Promise<GetRecordsResult> {
    const raw = await this.getRecordsRaw(shardIterator, limit, options);
    const records = new Array<KinesisRecord>(raw.records.length);
    for (let i = 0; i < raw.records.length; i++) records[i] = fromWireRecord(raw.records[i]!);
    return { ...raw, records };
  }

  /**
   * GetRecords with each record's data still base64, as it came: the consumer decodes straight from
   * it (see consumer/decode.ts), skipping a byte array for text payloads.
   */
  async getRecordsRaw(
    shardIterator: string,
    limit?: number,
    options?: CallOptions & { streamArn?: string },
  ): Promise<GetRecordsPage<WireKinesisRecord>> {
    const request: Record<string, unknown> = { ShardIterator: shardIterator };
    if (limit !== undefined) request["Limit"] = limit;
    if (options?.streamArn !== undefined) request["StreamARN"] = options.streamArn;
    const out = await this.http.call<WireGetRecords>("GetRecords", request, options);
    const result: GetRecordsPage<WireKinesisRecord> = { records: out.Records ?? [] };
    if (out.NextShardIterator != null && out.NextShardIterator !== "") result.nextShardIterator = out.NextShardIterator;
    if (out.MillisBehindLatest != null) result.millisBehindLatest = out.MillisBehindLatest;
    if (out.ChildShards != null) result.childShards = out.ChildShards.map(fromWireChildShard);
    return result;
  }

  /** Put up to 500 records in one request. Resolves even when some records failed: check `failedRecordCount` and resend those. */
  async putRecords(stream: string, entries: readonly PutRecordsEntry[], options?: CallOptions): Promise<PutRecordsResult> {
    const out = await this.http.call<WirePutRecords>(
      "PutRecords",
      { ...streamRef(stream), Records: entries.map(toWireEntry) },
      options,
    );
    return {
      failedRecordCount: out.FailedRecordCount ?? 0,
      records: (out.Records ?? []).map((r) => {
        const entry: PutRecordsResult["records"][number] = {};
        if (r.SequenceNumber != null) entry.sequenceNumber = r.SequenceNumber;
        if (r.ShardId != null) entry.shardId = r.ShardId;
        if (r.ErrorCode != null) entry.errorCode = r.ErrorCode;
        if (r.ErrorMessage != null) entry.errorMessage = r.ErrorMessage;
        return entry;
      }),
    };
  }

  /** Put one record; `sequenceNumberForOrdering` makes it sort after that record for the same partition key. */
  async putRecord(
    stream: string,
    entry: PutRecordsEntry & { sequenceNumberForOrdering?: string },
    options?: CallOptions,
  ): Promise<{ sequenceNumber: string; shardId: string }> {
    const request: Record<string, unknown> = { ...streamRef(stream), ...toWireEntry(entry) };
    if (entry.sequenceNumberForOrdering !== undefined) request["SequenceNumberForOrdering"] = entry.sequenceNumberForOrdering;
    const out = await this.http.call<{ SequenceNumber?: string; ShardId?: string }>("PutRecord", request, options);
    if (out.SequenceNumber == null || out.ShardId == null) throw new ProtocolError("PutRecord returned no SequenceNumber/ShardId");
    return { sequenceNumber: out.SequenceNumber, shardId: out.ShardId };
  }

  /** `shardCount` for a provisioned stream; `"ON_DEMAND"` for an on-demand one. */
  async createStream(name: string, shardCount: number | "ON_DEMAND", options?: CallOptions): Promise<void> {
    const request: Record<string, unknown> = { StreamName: name };
    if (shardCount === "ON_DEMAND") request["StreamModeDetails"] = { StreamMode: "ON_DEMAND" };
    else request["ShardCount"] = shardCount;
    await this.http.call("CreateStream", request, options);
  }

  /** Start deleting the stream; it stays in `DELETING` for a while. `enforceConsumerDeletion` also removes registered enhanced fan-out consumers. */
  async deleteStream(stream: string, options?: CallOptions & { enforceConsumerDeletion?: boolean }): Promise<void> {
    const request: Record<string, unknown> = { ...streamRef(stream) };
    if (options?.enforceConsumerDeletion !== undefined) request["EnforceConsumerDeletion"] = options.enforceConsumerDeletion;
    await this.http.call("DeleteStream", request, options);
  }

  /** Poll DescribeStreamSummary until the stream is ACTIVE; `timeout` in seconds (default 120). */
  async waitForActive(stream: string, options: CallOptions & { timeout?: number; pollInterval?: number } = {}): Promise<StreamSummary> {
    const clock = this.http.clock;
    const deadline = clock.now() + (options.timeout ?? 120) * 1000;
    for (;;) {
      const summary = await this.describeStreamSummary(stream, options);
      if (summary.streamStatus === "ACTIVE") return summary;
      if (clock.now() >= deadline) {
        throw new TimeoutError(`stream ${stream} is still ${summary.streamStatus} after ${options.timeout ?? 120} s`, (options.timeout ?? 120) * 1000);
      }
      await clock.sleep((options.pollInterval ?? 0.25) * 1000, options.signal);
    }
  }

  /** Split `shardId` in two at `newStartingHashKey` (a decimal hash key inside its range); the stream is `UPDATING` until done. */
  async splitShard(stream: string, shardId: string, newStartingHashKey: string, options?: CallOptions): Promise<void> {
    await this.http.call(
      "SplitShard",
      { ...streamRef(stream), ShardToSplit: shardId, NewStartingHashKey: newStartingHashKey },
      options,
    );
  }

  /** Merge two shards whose hash key ranges are adjacent into one; the stream is `UPDATING` until done. */
  async mergeShards(stream: string, shardId: string, adjacentShardId: string, options?: CallOptions): Promise<void> {
    await this.http.call(
      "MergeShards",
      { ...streamRef(stream), ShardToMerge: shardId, AdjacentShardToMerge: adjacentShardId },
      options,
    );
  }

  /** Reshard a provisioned stream to `targetShardCount` evenly sized shards; the stream is `UPDATING` until done. */
  async updateShardCount(stream: string, targetShardCount: number, options?: CallOptions): Promise<void> {
    await this.http.call(
      "UpdateShardCount",
      { ...streamRef(stream), TargetShardCount: targetShardCount, ScalingType: "UNIFORM_SCALING" },
      options,
    );
  }
}

interface WireSummary {
  StreamCreationTimestamp?: number | null;
  StreamName: string;
  StreamARN: string;
  StreamStatus: StreamSummary["streamStatus"];
  StreamModeDetails?: { StreamMode?: "PROVISIONED" | "ON_DEMAND" | null } | null;
  RetentionPeriodHours?: number | null;
  OpenShardCount?: number | null;
  EncryptionType?: string | null;
  MaxRecordSizeInKiB?: number | null;
}

interface WireHashKeyRange {
  StartingHashKey: string;
  EndingHashKey: string;
}

interface WireShard {
  ShardId: string;
  ParentShardId?: string | null;
  AdjacentParentShardId?: string | null;
  HashKeyRange: WireHashKeyRange;
  SequenceNumberRange: { StartingSequenceNumber: string; EndingSequenceNumber?: string | null };
}

interface WireChildShard {
  ShardId: string;
  ParentShards?: string[] | null;
  HashKeyRange: WireHashKeyRange;
}

interface WireGetRecords {
  Records?: WireKinesisRecord[] | null;
  NextShardIterator?: string | null;
  MillisBehindLatest?: number | null;
  ChildShards?: WireChildShard[] | null;
}

interface WirePutRecords {
  FailedRecordCount?: number | null;
  Records?:
    | Array<{
      SequenceNumber?: string | null;
      ShardId?: string | null;
      ErrorCode?: string | null;
      ErrorMessage?: string | null;
    }>
    | null;
}

function fromWireRange(range: WireHashKeyRange): HashKeyRange {
  return { startingHashKey: range.StartingHashKey, endingHashKey: range.EndingHashKey };
}

function fromWireShard(shard: WireShard): Shard {
  const out: Shard = {
    shardId: shard.ShardId,
    hashKeyRange: fromWireRange(shard.HashKeyRange),
    sequenceNumberRange: { startingSequenceNumber: shard.SequenceNumberRange.StartingSequenceNumber },
  };
  if (shard.ParentShardId != null) out.parentShardId = shard.ParentShardId;
  if (shard.AdjacentParentShardId != null) out.adjacentParentShardId = shard.AdjacentParentShardId;
  const end = shard.SequenceNumberRange.EndingSequenceNumber;
  if (end != null) out.sequenceNumberRange.endingSequenceNumber = end;
  return out;
}

function fromWireChildShard(child: WireChildShard): ChildShard {
  return { shardId: child.ShardId, parentShards: child.ParentShards ?? [], hashKeyRange: fromWireRange(child.HashKeyRange) };
}

/** A record as the service sends it (GetRecords, SubscribeToShard) → ours: data decoded, arrival as a Date. */
export function fromWireRecord(record: WireKinesisRecord): KinesisRecord {
  const out: KinesisRecord = {
    data: decodeBase64(record.Data),
    partitionKey: record.PartitionKey,
    sequenceNumber: record.SequenceNumber,
    approximateArrivalTimestamp: new Date((record.ApproximateArrivalTimestamp ?? 0) * 1000),
  };
  if (record.EncryptionType != null) out.encryptionType = record.EncryptionType;
  return out;
}

function toWireEntry(entry: PutRecordsEntry): { Data: string; PartitionKey: string; ExplicitHashKey?: string } {
  return entry.explicitHashKey === undefined
    ? { Data: encodeBase64(entry.data), PartitionKey: entry.partitionKey }
    : { Data: encodeBase64(entry.data), PartitionKey: entry.partitionKey, ExplicitHashKey: entry.explicitHashKey };
}

function wireShardFilter(filter: ShardFilter): Record<string, unknown> {
  const out: Record<string, unknown> = { Type: filter.type };
  if (filter.shardId !== undefined) out["ShardId"] = filter.shardId;
  if (filter.timestamp !== undefined) out["Timestamp"] = filter.timestamp.getTime() / 1000;
  return out;
}
