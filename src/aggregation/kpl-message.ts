/**
 * The KPL `AggregatedRecord` protobuf message (KPL aggregation format, proto2):
 *
 *   message AggregatedRecord { repeated string partition_key_table = 1;
 *                              repeated string explicit_hash_key_table = 2; repeated Record records = 3; }
 *   message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
 *                    required bytes data = 3; repeated Tag tags = 4; }
 *   message Tag    { required string key = 1; optional string value = 2; }
 *
 * Decoding checks the wire format and required fields; whether indexes point into the tables is the
 * caller's check (see kpl.ts).
 */
import { DecodeError } from "../errors.ts";
import { decodeUtf8Lenient } from "../internal/utf8.ts";
import { lengthDelimitedFieldSize, ProtoReader, type ProtoWriter, varintFieldSize, WireType } from "./protobuf.ts";

const AGGREGATE_PARTITION_KEY_TABLE = 1;
const AGGREGATE_EXPLICIT_HASH_KEY_TABLE = 2;
const AGGREGATE_RECORDS = 3;
const RECORD_PARTITION_KEY_INDEX = 1;
const RECORD_EXPLICIT_HASH_KEY_INDEX = 2;
const RECORD_DATA = 3;
const RECORD_TAGS = 4;
const TAG_KEY = 1;
const TAG_VALUE = 2;

export interface KplTag {
  key: string;
  value?: string;
}

export interface KplRecordMessage {
  partitionKeyIndex: number;
  /** Present only when the field was on the wire. */
  explicitHashKeyIndex?: number;
  /** A view into the decoded input, not a copy. */
  data: Uint8Array;
  tags: KplTag[];
}

export interface KplAggregateMessage {
  partitionKeyTable: string[];
  explicitHashKeyTable: string[];
  records: KplRecordMessage[];
}

/** What the aggregator writes: keys already UTF-8 encoded (it measured them), no tags. */
export interface EncodableAggregate {
  partitionKeyTable: readonly Uint8Array[];
  explicitHashKeyTable: readonly Uint8Array[];
  records: readonly EncodableRecord[];
}

export interface EncodableRecord {
  partitionKeyIndex: number;
  explicitHashKeyIndex?: number | undefined;
  data: Uint8Array;
}

/** Keys are decoded leniently (U+FFFD for bad bytes): a mangled key should not hide the data. */
const decodeString = decodeUtf8Lenient;

function expectWireType(actual: number, expected: number, what: string): void {
  if (actual !== expected) throw new DecodeError(`malformed protobuf: ${what} has wire type ${actual}`);
}

/** Decodes an `AggregatedRecord` body (without magic or checksum). Throws `DecodeError`. */
export function decodeAggregateMessage(bytes: Uint8Array): KplAggregateMessage {
  const message: KplAggregateMessage = { partitionKeyTable: [], explicitHashKeyTable: [], records: [] };
  const reader = new ProtoReader(bytes);
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    switch (field) {
      case AGGREGATE_PARTITION_KEY_TABLE:
        expectWireType(wireType, WireType.LENGTH_DELIMITED, "partition_key_table");
        message.partitionKeyTable.push(decodeString(reader.lengthDelimited()));
        break;
      case AGGREGATE_EXPLICIT_HASH_KEY_TABLE:
        expectWireType(wireType, WireType.LENGTH_DELIMITED, "explicit_hash_key_table");
        message.explicitHashKeyTable.push(decodeString(reader.lengthDelimited()));
        break;
      case AGGREGATE_RECORDS:
        expectWireType(wireType, WireType.LENGTH_DELIMITED, "records");
        message.records.push(decodeRecord(reader.lengthDelimited()));
        break;
      default:
        reader.skip(wireType, field);
    }
  }
  return message;
}

function decodeRecord(bytes: Uint8Array): KplRecordMessage {
  const reader = new ProtoReader(bytes);
  let partitionKeyIndex: number | undefined;
  let explicitHashKeyIndex: number | undefined;
  let data: Uint8Array | undefined;
  const tags: KplTag[] = [];
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    switch (field) {
      case RECORD_PARTITION_KEY_INDEX:
        expectWireType(wireType, WireType.VARINT, "partition_key_index");
        partitionKeyIndex = reader.varint();
        break;
      case RECORD_EXPLICIT_HASH_KEY_INDEX:
        expectWireType(wireType, WireType.VARINT, "explicit_hash_key_index");
        explicitHashKeyIndex = reader.varint();
        break;
      case RECORD_DATA:
        expectWireType(wireType, WireType.LENGTH_DELIMITED, "data");
        data = reader.lengthDelimited();
        break;
      case RECORD_TAGS:
        expectWireType(wireType, WireType.LENGTH_DELIMITED, "tags");
        tags.push(decodeTag(reader.lengthDelimited()));
        break;
      default:
        reader.skip(wireType, field);
    }
  }
  if (partitionKeyIndex === undefined) throw new DecodeError("malformed protobuf: record without partition_key_index");
  if (data === undefined) throw new DecodeError("malformed protobuf: record without data");
  const record: KplRecordMessage = { partitionKeyIndex, data, tags };
  if (explicitHashKeyIndex !== undefined) record.explicitHashKeyIndex = explicitHashKeyIndex;
  return record;
}

function decodeTag(bytes: Uint8Array): KplTag {
  const reader = new ProtoReader(bytes);
  let key: string | undefined;
  let value: string | undefined;
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field === TAG_KEY || field === TAG_VALUE) {
      expectWireType(wireType, WireType.LENGTH_DELIMITED, field === TAG_KEY ? "tag key" : "tag value");
      const text = decodeString(reader.lengthDelimited());
      if (field === TAG_KEY) key = text;
      else value = text;
    } else {
      reader.skip(wireType, field);
    }
  }
  if (key === undefined) throw new DecodeError("malformed protobuf: tag without key");
  return value === undefined ? { key } : { key, value };
}

/** Bytes one table entry (partition key or explicit hash key) adds to the message. */
export function tableEntrySize(keyByteLength: number): number {
  return lengthDelimitedFieldSize(AGGREGATE_PARTITION_KEY_TABLE, keyByteLength);
}

/** Bytes of a `Record` message body. */
export function recordBodySize(record: EncodableRecord): number {
  let size = varintFieldSize(RECORD_PARTITION_KEY_INDEX, record.partitionKeyIndex);
  if (record.explicitHashKeyIndex !== undefined) {
    size += varintFieldSize(RECORD_EXPLICIT_HASH_KEY_INDEX, record.explicitHashKeyIndex);
  }
  return size + lengthDelimitedFieldSize(RECORD_DATA, record.data.byteLength);
}

/** Bytes one record adds to the message (its field in `records`, framing included). */
export function recordEntrySize(record: EncodableRecord): number {
  return lengthDelimitedFieldSize(AGGREGATE_RECORDS, recordBodySize(record));
}

/**
 * Writes the message fields in field order (tables first, then records), which is what the KPL and
 * aws-kinesis-agg emit, so identical input gives byte-identical output.
 */
export function writeAggregateMessage(writer: ProtoWriter, message: EncodableAggregate): void {
  for (const key of message.partitionKeyTable) writer.bytesField(AGGREGATE_PARTITION_KEY_TABLE, key);
  for (const key of message.explicitHashKeyTable) writer.bytesField(AGGREGATE_EXPLICIT_HASH_KEY_TABLE, key);
  for (const record of message.records) {
    writer.beginLengthDelimited(AGGREGATE_RECORDS, recordBodySize(record));
    writer.varintField(RECORD_PARTITION_KEY_INDEX, record.partitionKeyIndex);
    if (record.explicitHashKeyIndex !== undefined) {
      writer.varintField(RECORD_EXPLICIT_HASH_KEY_INDEX, record.explicitHashKeyIndex);
    }
    writer.bytesField(RECORD_DATA, record.data);
  }
}
