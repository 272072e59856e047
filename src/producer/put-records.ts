import type { CallOptions } from "../aws/json-client.ts";
import { encodeBase64 } from "../internal/base64.ts";
import { streamRef, type KinesisClient } from "../kinesis/client.ts";
import type { QueuedRecord } from "./queued-record.ts";

/** One entry of a PutRecords answer, as it comes off the wire (null and absent mean the same). */
export interface PutRecordsAnswer {
  SequenceNumber?: string | null;
  ShardId?: string | null;
  ErrorCode?: string | null;
  ErrorMessage?: string | null;
}

interface WireEntry {
  Data: string;
  PartitionKey: string;
  ExplicitHashKey?: string;
}

/** A record's request entry, encoded once and kept on the record, so a retry does not encode it again. */
function wireEntry(record: QueuedRecord): WireEntry {
  if (record.wire !== undefined) return record.wire as WireEntry;
  const entry: WireEntry =
    record.explicitHashKey === undefined
      ? { Data: encodeBase64(record.data), PartitionKey: record.partitionKey }
      : { Data: encodeBase64(record.data), PartitionKey: record.partitionKey, ExplicitHashKey: record.explicitHashKey };
  record.wire = entry;
  return entry;
}

/**
 * Send one PutRecords request for `batch` and return the answer's entries as they are, in request
 * order. The producer reads each entry once, so they are not copied into other objects.
 */
export async function sendPutRecords(
  client: KinesisClient,
  streamName: string,
  batch: readonly QueuedRecord[],
  options: CallOptions,
): Promise<PutRecordsAnswer[]> {
  const records = new Array<WireEntry>(batch.length);
  for (let i = 0; i < batch.length; i++) records[i] = wireEntry(batch[i]!);
  const out = await client.http.call<{ Records?: PutRecordsAnswer[] | null }>("PutRecords", { ...streamRef(streamName), Records: records }, options);
  return out.Records ?? [];
}
