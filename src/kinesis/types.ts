/** Shapes of the Kinesis operations we use, in camelCase, with JSON `null`s already turned into absence. */

export type ShardIteratorType = "TRIM_HORIZON" | "LATEST" | "AT_TIMESTAMP" | "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER";

export interface HashKeyRange {
  /** Decimal string of a 128-bit unsigned integer. */
  startingHashKey: string;
  endingHashKey: string;
}

export interface Shard {
  shardId: string;
  parentShardId?: string;
  adjacentParentShardId?: string;
  hashKeyRange: HashKeyRange;
  sequenceNumberRange: { startingSequenceNumber: string; endingSequenceNumber?: string };
}

export interface ChildShard {
  shardId: string;
  parentShards: string[];
  hashKeyRange: HashKeyRange;
}

/** One record as GetRecords returns it, data decoded from base64. */
export interface KinesisRecord {
  data: Uint8Array;
  partitionKey: string;
  sequenceNumber: string;
  approximateArrivalTimestamp: Date;
  encryptionType?: string;
}

/** One GetRecords page; `R` is the record shape (decoded `KinesisRecord`, or the wire form). */
export interface GetRecordsPage<R> {
  records: R[];
  /** Absent when the shard is closed and every record has been read (SHARD_END). */
  nextShardIterator?: string;
  millisBehindLatest?: number;
  /** Only some servers send these at SHARD_END; ListShards is the fallback. */
  childShards?: ChildShard[];
}

export type GetRecordsResult = GetRecordsPage<KinesisRecord>;

/** A record exactly as the JSON protocol carries it: data base64, arrival time in epoch seconds. */
export interface WireKinesisRecord {
  Data: string;
  PartitionKey: string;
  SequenceNumber: string;
  ApproximateArrivalTimestamp?: number | null;
  EncryptionType?: string | null;
}

export interface StreamSummary {
  streamName: string;
  streamArn: string;
  streamStatus: "CREATING" | "DELETING" | "ACTIVE" | "UPDATING";
  streamMode?: "PROVISIONED" | "ON_DEMAND";
  retentionPeriodHours: number;
  openShardCount: number;
  encryptionType?: string;
  /** Largest record the stream accepts; 1024 unless the stream was configured for more. */
  maxRecordSizeKiB: number;
  /** When the stream was created (epoch ms): tells a stream from one deleted and recreated under its name. */
  streamCreatedAt?: number;
}

export interface PutRecordsEntry {
  data: Uint8Array;
  partitionKey: string;
  explicitHashKey?: string | undefined;
}

export interface PutRecordsResultEntry {
  sequenceNumber?: string;
  shardId?: string;
  errorCode?: string;
  errorMessage?: string;
}

export interface PutRecordsResult {
  failedRecordCount: number;
  records: PutRecordsResultEntry[];
}

export interface ShardFilter {
  type: "AFTER_SHARD_ID" | "AT_TRIM_HORIZON" | "FROM_TRIM_HORIZON" | "AT_LATEST" | "AT_TIMESTAMP" | "FROM_TIMESTAMP";
  shardId?: string;
  timestamp?: Date;
}
