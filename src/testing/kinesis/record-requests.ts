import { decodeBase64 } from "../../internal/base64.ts";
import { FakeAwsError, invalid, type Json, numberField, stringField } from "../wire.ts";
import type { FakeShard } from "./stream-state.ts";

/** Request checks and iterator positions for the record operations (PutRecord(s), GetShardIterator). */

const MAX_RECORD_BYTES = 1024 * 1024;

/** The bytes an entry counts for (data plus partition key), checked against the 1 MiB record limit. */
export function checkedSize(entry: Json): number {
  const data = stringField(entry, "Data", true);
  const key = stringField(entry, "PartitionKey", true);
  let bytes: number;
  try {
    bytes = decodeBase64(data).length;
  } catch {
    throw new FakeAwsError("SerializationException", "Data is not valid base64");
  }
  const size = bytes + new TextEncoder().encode(key).length;
  if (size > MAX_RECORD_BYTES) throw invalid("Record size (data plus partition key) exceeds 1 MiB");
  return size;
}

export function startIndex(shard: FakeShard, type: string, body: Json): number {
  const records = shard.records;
  switch (type) {
    case "TRIM_HORIZON":
      return 0;
    case "LATEST":
      return records.length;
    case "AT_SEQUENCE_NUMBER":
    case "AFTER_SEQUENCE_NUMBER": {
      const text = stringField(body, "StartingSequenceNumber", true);
      if (!/^\d{1,128}$/.test(text)) throw invalid(`StartingSequenceNumber ${text} is not a sequence number`);
      const at = BigInt(text);
      const after = type === "AFTER_SEQUENCE_NUMBER";
      const index = records.findIndex((r) => (after ? BigInt(r.sequenceNumber) > at : BigInt(r.sequenceNumber) >= at));
      return index === -1 ? records.length : index;
    }
    case "AT_TIMESTAMP": {
      const seconds = numberField(body, "Timestamp");
      if (seconds === undefined) throw invalid("Timestamp is required for AT_TIMESTAMP");
      const index = records.findIndex((r) => r.arrivedAt >= seconds * 1000);
      return index === -1 ? records.length : index;
    }
    default:
      throw invalid(`ShardIteratorType ${type} is not one of TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP`);
  }
}
