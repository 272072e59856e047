import { EncodedJson } from "../aws/encoded-json.ts";
import type { CallOptions } from "../aws/json-client.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import type { QueuedRecord } from "./queued-record.ts";
import { putRecordsBody } from "./request-body.ts";

/** One entry of a PutRecords answer, as it comes off the wire (null and absent mean the same). */
export interface PutRecordsAnswer {
  SequenceNumber?: string | null;
  ShardId?: string | null;
  ErrorCode?: string | null;
  ErrorMessage?: string | null;
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
  const body = new EncodedJson(putRecordsBody(streamName, batch));
  const out = await client.http.call<{ Records?: PutRecordsAnswer[] | null }>("PutRecords", body, options);
  return out.Records ?? [];
}
