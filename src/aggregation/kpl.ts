/**
 * KPL record aggregation: many user records in one Kinesis record, framed as
 * `F3 89 9A C2` + protobuf `AggregatedRecord` + MD5(protobuf) (16 bytes).
 *
 * Reading is defensive: a record counts as aggregated only if the magic, the checksum and the protobuf
 * all check, so a plain payload that happens to start with the magic is passed through untouched.
 */
import { DecodeError, EncodeError, RecordTooLargeError } from "../errors.ts";
import { encodeUtf8 } from "../internal/utf8.ts";
import { MAX_HASH_KEY } from "../kinesis/hash-key.ts";
import type { AggregatedRecord, Aggregator } from "./types.ts";
import {
  decodeAggregateMessage,
  type EncodableRecord,
  type KplAggregateMessage,
  recordEntrySize,
  tableEntrySize,
  writeAggregateMessage,
} from "./kpl-message.ts";
import { checkMaxBytes } from "./max-bytes.ts";
import { md5, partitionKeyHash } from "./md5.ts";
import { ProtoWriter } from "./protobuf.ts";

/** The four bytes every KPL aggregated record starts with. */
export const KPL_MAGIC: readonly number[] = Object.freeze([0xf3, 0x89, 0x9a, 0xc2]);
const MD5_LENGTH = 16;
/** Bytes an aggregated record has beyond its protobuf body: magic and checksum. */
export const KPL_OVERHEAD = KPL_MAGIC.length + MD5_LENGTH;

/** One user record taken out of an aggregated record. */
export interface KplSubRecord {
  /** A view into the aggregated record's bytes, not a copy. */
  data: Uint8Array;
  partitionKey: string;
  /** Only when the sub-record carried an explicit hash key index. */
  explicitHashKey?: string;
  /** The sub-record's position in the aggregate, as Kinesis consumers (KCL) number them. */
  subSequenceNumber: number;
}

/** Whether `data` starts with the KPL magic (the cheap first test; `deaggregate` does the full one). */
export function hasKplMagic(data: Uint8Array): boolean {
  return (
    data.byteLength >= KPL_MAGIC.length &&
    data[0] === KPL_MAGIC[0] &&
    data[1] === KPL_MAGIC[1] &&
    data[2] === KPL_MAGIC[2] &&
    data[3] === KPL_MAGIC[3]
  );
}

/**
 * The user records inside a KPL aggregated record, or `undefined` when `data` is not one: wrong magic,
 * checksum mismatch, malformed protobuf or a key index outside its table. Never throws on bad input.
 */
export function deaggregate(data: Uint8Array): KplSubRecord[] | undefined {
  if (data.byteLength < KPL_OVERHEAD || !hasKplMagic(data)) return undefined;
  const body = data.subarray(KPL_MAGIC.length, data.byteLength - MD5_LENGTH);
  if (!digestMatches(md5(body), data.subarray(data.byteLength - MD5_LENGTH))) return undefined;

  let message: KplAggregateMessage;
  try {
    message = decodeAggregateMessage(body);
  } catch (error) {
    if (error instanceof DecodeError) return undefined;
    throw error;
  }

  const subRecords: KplSubRecord[] = [];
  for (let index = 0; index < message.records.length; index++) {
    const record = message.records[index]!;
    const partitionKey = message.partitionKeyTable[record.partitionKeyIndex];
    if (partitionKey === undefined) return undefined;
    const subRecord: KplSubRecord = { data: record.data, partitionKey, subSequenceNumber: index };
    if (record.explicitHashKeyIndex !== undefined) {
      const explicitHashKey = message.explicitHashKeyTable[record.explicitHashKeyIndex];
      if (explicitHashKey === undefined) return undefined;
      subRecord.explicitHashKey = explicitHashKey;
    }
    subRecords.push(subRecord);
  }
  return subRecords;
}

function digestMatches(actual: Uint8Array, expected: Uint8Array): boolean {
  for (let i = 0; i < MD5_LENGTH; i++) if (actual[i] !== expected[i]) return false;
  return true;
}

/**
 * Where on the hash-key ring a (sub-)record belongs: its explicit hash key when that is a decimal
 * integer in [0, 2^128), else the MD5 of its partition key (what Kinesis itself would use).
 */
export function recordHashKey(record: { partitionKey: string; explicitHashKey?: string | undefined }): bigint {
  const explicit = record.explicitHashKey;
  if (explicit !== undefined && /^[0-9]{1,39}$/.test(explicit)) {
    const value = BigInt(explicit);
    if (value <= MAX_HASH_KEY) return value;
  }
  return partitionKeyHash(record.partitionKey);
}

/** Whether `hash` lies in a shard's inclusive `HashKeyRange` (decimal strings, as ListShards gives them). */
export function isInHashRange(hash: bigint, range: { startingHashKey: string; endingHashKey: string }): boolean {
  return BigInt(range.startingHashKey) <= hash && hash <= BigInt(range.endingHashKey);
}

interface KeyTable {
  indexes: Map<string, number>;
  encoded: Uint8Array[];
}

const emptyTable = (): KeyTable => ({ indexes: new Map(), encoded: [] });

/** What adding one item would cost, worked out before anything is changed. */
interface Placement {
  record: EncodableRecord;
  newPartitionKey: Uint8Array | undefined;
  newExplicitHashKey: Uint8Array | undefined;
  /** Bytes the protobuf body grows by. */
  growth: number;
}

/**
 * Packs user records into one KPL aggregated record of at most `maxBytes` bytes, counting everything
 * in the record's data: magic, protobuf body, checksum. `maxBytes` must already be net of what else
 * Kinesis counts against its 1 MiB record limit, i.e. the outer partition key's bytes: the caller
 * (the producer) knows the key and subtracts it.
 *
 * Partition keys and explicit hash keys are stored once each in the message's tables. The outer
 * record takes the first item's partition key and, if it had one, its explicit hash key, so it lands
 * on that item's shard. Consumers drop sub-records outside their shard's hash range, so callers must
 * only aggregate items bound for the same shard.
 */
export class KplAggregator<T = Uint8Array> implements Aggregator<T> {
  readonly maxBytes: number;
  readonly #encode: (item: T) => Uint8Array;
  #partitionKeys = emptyTable();
  #explicitHashKeys = emptyTable();
  #records: EncodableRecord[] = [];
  #bodySize = 0;
  #firstPartitionKey = "";
  #firstExplicitHashKey: string | undefined;

  /** `encode` turns an item into the bytes of its user record; without it, items must be `Uint8Array`s. */
  constructor(maxBytes: number, encode?: (item: T) => Uint8Array) {
    this.maxBytes = checkMaxBytes(maxBytes);
    this.#encode = encode ?? bytesOnly;
  }

  get count(): number {
    return this.#records.length;
  }

  get size(): number {
    return this.#records.length === 0 ? 0 : KPL_OVERHEAD + this.#bodySize;
  }

  add(item: T, partitionKey: string, explicitHashKey?: string): boolean {
    const data = this.#encode(item);
    const placement = this.#place(data, partitionKey, explicitHashKey);
    if (KPL_OVERHEAD + this.#bodySize + placement.growth > this.maxBytes) {
      const alone = this.#records.length === 0 ? placement : placeAlone(data, partitionKey, explicitHashKey);
      const aloneSize = KPL_OVERHEAD + alone.growth;
      if (aloneSize > this.maxBytes) throw new RecordTooLargeError(aloneSize, this.maxBytes);
      return false;
    }

    if (this.#records.length === 0) {
      this.#firstPartitionKey = partitionKey;
      this.#firstExplicitHashKey = explicitHashKey;
    }
    if (placement.newPartitionKey !== undefined) addKey(this.#partitionKeys, partitionKey, placement.newPartitionKey);
    if (placement.newExplicitHashKey !== undefined && explicitHashKey !== undefined) {
      addKey(this.#explicitHashKeys, explicitHashKey, placement.newExplicitHashKey);
    }
    this.#records.push(placement.record);
    this.#bodySize += placement.growth;
    return true;
  }

  flush(): AggregatedRecord | undefined {
    const count = this.#records.length;
    if (count === 0) return undefined;

    const writer = new ProtoWriter(this.size);
    writer.raw(Uint8Array.from(KPL_MAGIC));
    writeAggregateMessage(writer, {
      partitionKeyTable: this.#partitionKeys.encoded,
      explicitHashKeyTable: this.#explicitHashKeys.encoded,
      records: this.#records,
    });
    writer.raw(md5(writer.written().subarray(KPL_MAGIC.length)));

    const record: AggregatedRecord = { data: writer.written(), partitionKey: this.#firstPartitionKey, count };
    if (this.#firstExplicitHashKey !== undefined) record.explicitHashKey = this.#firstExplicitHashKey;
    this.#reset();
    return record;
  }

  #place(data: Uint8Array, partitionKey: string, explicitHashKey: string | undefined): Placement {
    return placeIn(this.#partitionKeys, this.#explicitHashKeys, data, partitionKey, explicitHashKey);
  }

  #reset(): void {
    this.#partitionKeys = emptyTable();
    this.#explicitHashKeys = emptyTable();
    this.#records = [];
    this.#bodySize = 0;
    this.#firstPartitionKey = "";
    this.#firstExplicitHashKey = undefined;
  }
}

function bytesOnly(item: unknown): Uint8Array {
  if (item instanceof Uint8Array) return item;
  throw new EncodeError("KplAggregator without an encode function takes Uint8Array items only");
}

function placeAlone(data: Uint8Array, partitionKey: string, explicitHashKey: string | undefined): Placement {
  return placeIn(emptyTable(), emptyTable(), data, partitionKey, explicitHashKey);
}

function placeIn(
  partitionKeys: KeyTable,
  explicitHashKeys: KeyTable,
  data: Uint8Array,
  partitionKey: string,
  explicitHashKey: string | undefined,
): Placement {
  let growth = 0;
  let newPartitionKey: Uint8Array | undefined;
  let partitionKeyIndex = partitionKeys.indexes.get(partitionKey);
  if (partitionKeyIndex === undefined) {
    partitionKeyIndex = partitionKeys.encoded.length;
    newPartitionKey = encodeUtf8(partitionKey);
    growth += tableEntrySize(newPartitionKey.byteLength);
  }

  let newExplicitHashKey: Uint8Array | undefined;
  let explicitHashKeyIndex: number | undefined;
  if (explicitHashKey !== undefined) {
    explicitHashKeyIndex = explicitHashKeys.indexes.get(explicitHashKey);
    if (explicitHashKeyIndex === undefined) {
      explicitHashKeyIndex = explicitHashKeys.encoded.length;
      newExplicitHashKey = encodeUtf8(explicitHashKey);
      growth += tableEntrySize(newExplicitHashKey.byteLength);
    }
  }

  const record: EncodableRecord = { partitionKeyIndex, explicitHashKeyIndex, data };
  growth += recordEntrySize(record);
  return { record, newPartitionKey, newExplicitHashKey, growth };
}

function addKey(table: KeyTable, key: string, encoded: Uint8Array): void {
  table.indexes.set(key, table.encoded.length);
  table.encoded.push(encoded);
}
