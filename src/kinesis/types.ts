/** Shapes of the Kinesis operations we use, in camelCase, with JSON `null`s already turned into absence. */

export type ShardIteratorType = "TRIM_HORIZON" | "LATEST" | "AT_TIMESTAMP" | "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER";

/** The inclusive range of 128-bit hash keys a shard takes; a record goes to the shard whose range holds the MD5 of its partition key. */
export interface HashKeyRange {
  /** Decimal string of a 128-bit unsigned integer. */
  startingHashKey: string;
  /** Decimal string of a 128-bit unsigned integer; inclusive. */
  endingHashKey: string;
}

/** One shard as ListShards describes it. */
export interface Shard {
  /** The shard's id, e.g. `shardId-000000000000`. */
  shardId: string;
  /** The shard it was split from or merged out of; absent for an original shard. */
  parentShardId?: string;
  /** The second parent of a merged shard; absent otherwise. */
  adjacentParentShardId?: string;
  /** The hash keys the shard takes. */
  hashKeyRange: HashKeyRange;
  /** Its first sequence number, and its last once the shard is closed (absent while it is open). */
  sequenceNumberRange: { startingSequenceNumber: string; endingSequenceNumber?: string };
}

/** A shard that continues a closed one, as GetRecords reports it at SHARD_END. */
export interface ChildShard {
  /** The child shard's id. */
  shardId: string;
  /** Its parents: one after a split, two after a merge. */
  parentShards: string[];
  /** The hash keys the child takes. */
  hashKeyRange: HashKeyRange;
}

/** One record as GetRecords returns it, data decoded from base64. */
export interface KinesisRecord {
  /** The payload bytes (up to the stream's `maxRecordSizeKiB`). */
  data: Uint8Array;
  /** The partition key it was put with. */
  partitionKey: string;
  /** Its sequence number, a decimal string unique within the shard and increasing. */
  sequenceNumber: string;
  /** When Kinesis accepted the record. */
  approximateArrivalTimestamp: Date;
  /** `KMS` when the record was stored encrypted; absent (or `NONE`) otherwise. */
  encryptionType?: string;
}

/** One GetRecords page; `R` is the record shape (decoded `KinesisRecord`, or the wire form). */
export interface GetRecordsPage<R> {
  /** The records of this page, oldest first; may be empty even when more follow. */
  records: R[];
  /** Absent when the shard is closed and every record has been read (SHARD_END). */
  nextShardIterator?: string;
  /** How far this page is from the tip of the shard, in milliseconds; 0 when caught up. */
  millisBehindLatest?: number;
  /** Only some servers send these at SHARD_END; ListShards is the fallback. */
  childShards?: ChildShard[];
}

/** A GetRecords page with payloads decoded from base64. */
export type GetRecordsResult = GetRecordsPage<KinesisRecord>;

/** A record exactly as the JSON protocol carries it: data base64, arrival time in epoch seconds. */
export interface WireKinesisRecord {
  /** The payload, base64. */
  Data: string;
  /** The partition key it was put with. */
  PartitionKey: string;
  /** Its sequence number, a decimal string. */
  SequenceNumber: string;
  /** Arrival time in epoch seconds (fractional); some emulators send null or nothing. */
  ApproximateArrivalTimestamp?: number | null;
  /** `KMS` or `NONE`; some emulators send null or nothing. */
  EncryptionType?: string | null;
}

/** What DescribeStreamSummary says about a stream. */
export interface StreamSummary {
  /** The stream's name (also when it was looked up by ARN). */
  streamName: string;
  /** The stream's ARN. */
  streamArn: string;
  /** Only `ACTIVE` and `UPDATING` streams can be read and written. */
  streamStatus: "CREATING" | "DELETING" | "ACTIVE" | "UPDATING";
  /** The capacity mode; absent from servers that predate on-demand streams. */
  streamMode?: "PROVISIONED" | "ON_DEMAND";
  /** How long records are kept, in hours (24 to 8760). */
  retentionPeriodHours: number;
  /** Shards that accept records now (closed parents of a reshard not counted). */
  openShardCount: number;
  /** `KMS` when server-side encryption is on; absent or `NONE` otherwise. */
  encryptionType?: string;
  /** Largest record the stream accepts; 1024 unless the stream was configured for more. */
  maxRecordSizeKiB: number;
  /** When the stream was created (epoch ms): tells a stream from one deleted and recreated under its name. */
  streamCreatedAt?: number;
}

/** One record of a PutRecords or PutRecord call. */
export interface PutRecordsEntry {
  /** The payload bytes; sent base64. */
  data: Uint8Array;
  /** 1 to 256 characters; its MD5 picks the shard unless `explicitHashKey` is given. */
  partitionKey: string;
  /** A decimal hash key (0 to 2^128 - 1) that picks the shard instead of the partition key. */
  explicitHashKey?: string | undefined;
}

/** The outcome of one entry of PutRecords, at the same index: a sequence number and shard, or an error. */
export interface PutRecordsResultEntry {
  /** Set when the record was stored. */
  sequenceNumber?: string;
  /** The shard that stored it; set when the record was stored. */
  shardId?: string;
  /** Set when this record failed, e.g. `ProvisionedThroughputExceededException` or `InternalFailure`. */
  errorCode?: string;
  /** The service's message for `errorCode`. */
  errorMessage?: string;
}

/** A PutRecords answer: HTTP 200 even when some records failed, so check `failedRecordCount`. */
export interface PutRecordsResult {
  /** How many entries carry an `errorCode`; those must be sent again. */
  failedRecordCount: number;
  /** One result per entry sent, in the same order. */
  records: PutRecordsResultEntry[];
}

/** Which shards ListShards returns, e.g. only those open at a timestamp. */
export interface ShardFilter {
  /** The kind of filter; `shardId` goes with `AFTER_SHARD_ID`, `timestamp` with the two timestamp kinds. */
  type: "AFTER_SHARD_ID" | "AT_TRIM_HORIZON" | "FROM_TRIM_HORIZON" | "AT_LATEST" | "AT_TIMESTAMP" | "FROM_TIMESTAMP";
  /** With `AFTER_SHARD_ID`: list the shards after this one. */
  shardId?: string;
  /** With `AT_TIMESTAMP` or `FROM_TIMESTAMP`: the moment the shards must be open at or after. */
  timestamp?: Date;
}
