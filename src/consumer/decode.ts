import { deaggregate, recordHashKey } from "../aggregation/kpl.ts";
import type { Lease } from "../checkpointers/types.ts";
import { DecodeError } from "../errors.ts";
import type { KinesisRecord } from "../kinesis/types.ts";
import type { Processor } from "../processors/types.ts";
import type { ConsumerRecord, QueueEntry } from "./entries.ts";

export interface DecodeContext<T> {
  shardId: string;
  lease: Lease;
  processor: Processor<T>;
  /** The shard's hash range; KPL sub-records outside it belong to a sibling shard and are dropped. */
  hashRange: { start: bigint; end: bigint } | undefined;
  millisBehindLatest: number | undefined;
}

/**
 * Turn one Kinesis record into queue entries: unpack a KPL aggregate (only when magic and MD5 both
 * check), decode each payload with the processor, and mark the last entry to commit the record.
 */
export function decodeRecord<T>(record: KinesisRecord, context: DecodeContext<T>, out: Array<QueueEntry<T>>): void {
  const start = out.length;
  const subRecords = deaggregate(record.data);
  if (subRecords === undefined) {
    pushItems(record, record.data, record.partitionKey, undefined, undefined, context, out);
  } else {
    for (const sub of subRecords) {
      const range = context.hashRange;
      if (range !== undefined) {
        const hash = recordHashKey(sub);
        if (hash < range.start || hash > range.end) continue;
      }
      pushItems(record, sub.data, sub.partitionKey, sub.subSequenceNumber, sub.explicitHashKey, context, out);
    }
  }
  const last = out.length > start ? out[out.length - 1]! : undefined;
  if (last?.kind === "item") {
    last.weight = 1;
    last.commit = record.sequenceNumber;
    return;
  }
  // No item to carry the commit (no items, or the record ended in a decode error): a marker does.
  out.push({ kind: "commit", shardId: context.shardId, lease: context.lease, weight: 1, commit: record.sequenceNumber });
}

function pushItems<T>(
  record: KinesisRecord,
  data: Uint8Array,
  partitionKey: string,
  subSequenceNumber: number | undefined,
  explicitHashKey: string | undefined,
  context: DecodeContext<T>,
  out: Array<QueueEntry<T>>,
): void {
  let items: T[];
  try {
    items = context.processor.parse(data);
  } catch (cause) {
    const error =
      cause instanceof DecodeError ? cause : new DecodeError(`could not decode record: ${(cause as Error)?.message ?? cause}`, { cause });
    error.shardId = context.shardId;
    error.sequenceNumber = record.sequenceNumber;
    error.subSequenceNumber = subSequenceNumber;
    out.push({ kind: "error", shardId: context.shardId, lease: context.lease, weight: 0, commit: undefined, error });
    return;
  }
  const bytes = items.length === 0 ? 0 : data.length / items.length;
  for (const item of items) {
    const consumerRecord: ConsumerRecord<T> = {
      data: item,
      partitionKey,
      sequenceNumber: record.sequenceNumber,
      shardId: context.shardId,
      approximateArrivalTimestamp: record.approximateArrivalTimestamp,
      millisBehindLatest: context.millisBehindLatest,
    };
    if (subSequenceNumber !== undefined) consumerRecord.subSequenceNumber = subSequenceNumber;
    if (explicitHashKey !== undefined) consumerRecord.explicitHashKey = explicitHashKey;
    out.push({ kind: "item", shardId: context.shardId, lease: context.lease, weight: 0, commit: undefined, record: consumerRecord, bytes });
  }
}
