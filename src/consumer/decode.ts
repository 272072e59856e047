import { deaggregate, recordHashKey } from "../aggregation/kpl.ts";
import type { Lease } from "../checkpointers/types.ts";
import { DecodeError } from "../errors.ts";
import { decodeBase64 } from "../internal/base64.ts";
import { subRecordPosition } from "../internal/sequence.ts";
import { base64ToBinary, binaryToBytes, isAsciiBinary } from "../internal/binary-string.ts";
import type { WireKinesisRecord } from "../kinesis/types.ts";
import type { Processor } from "../processors/types.ts";
import type { KplHashRangeCheck } from "./options.ts";
import type { PageWriter } from "./page-writer.ts";

export interface DecodeContext<T> {
  shardId: string;
  lease: Lease;
  processor: Processor<T>;
  /** The shard's hash range, to find KPL sub-records that do not belong to it (undefined: no check). */
  hashRange: { start: bigint; end: bigint } | undefined;
  /**
   * What to do with a KPL sub-record outside `hashRange`: deliver it (default; producers that
   * aggregate without shard awareness put many keys in one record) or drop it, as the KCL does.
   */
  kplHashRangeCheck?: KplHashRangeCheck | undefined;
  /** Told once per Kinesis record that held sub-records outside `hashRange`, with how many. */
  onOutOfRange?: ((sequenceNumber: string, count: number) => void) | undefined;
  millisBehindLatest: number | undefined;
  /**
   * Resuming inside a KPL aggregate (a checkpoint `<sequence>:<sub>`): in record `sequence`, the
   * sub-records up to and including `subSequence` were consumed already and are skipped.
   */
  resumeInside?: { sequence: string; subSequence: number } | undefined;
}

/** What a payload's items share: where the Kinesis record came from (the wire record itself, not a copy). */
type Origin = Pick<WireKinesisRecord, "SequenceNumber" | "ApproximateArrivalTimestamp">;

/**
 * Turn one Kinesis record, as the wire carries it, into queue entries: unpack a KPL aggregate (only
 * when magic and MD5 both check), decode each payload with the processor, and mark the last item to
 * commit the record. Returns the payload's size in bytes.
 *
 * Text payloads take a shortcut: base64 is decoded to a binary string by the platform's native
 * `atob`, and when that string is pure ASCII it already is the payload's text, so it goes to the
 * processor's `parseTextItem` (or `parseText`) without a byte array or a UTF-8 decoder.
 */
export function decodeWireRecord<T>(wire: WireKinesisRecord, context: DecodeContext<T>, out: PageWriter<T>): number {
  const processor = context.processor;
  let data: Uint8Array;
  if (processor.parseText !== undefined || processor.parseTextItem !== undefined) {
    const binary = base64ToBinary(wire.Data);
    // KPL aggregates start with 0xF3, so an ASCII payload is never one.
    if (isAsciiBinary(binary)) {
      parseTextAndWrite(wire, binary, processor, context, out);
      return binary.length;
    }
    data = binaryToBytes(binary);
  } else {
    data = decodeBase64(wire.Data);
  }
  const subRecords = deaggregate(data);
  if (subRecords === undefined) {
    const mark = out.written;
    parseAndWrite(wire, data, wire.PartitionKey, undefined, undefined, context, out, true);
    if (!out.lastItemSince(mark)) finishRecord(wire, context, out);
    return data.length;
  }
  const mark = out.written;
  const range = context.hashRange;
  const drop = context.kplHashRangeCheck === "drop";
  const resume = context.resumeInside;
  const origin: Origin = wire;
  const consumedThrough = resume !== undefined && resume.sequence === origin.SequenceNumber ? resume.subSequence : -1;
  let outside = 0;
  for (const sub of subRecords) {
    if (sub.subSequenceNumber <= consumedThrough) continue;
    if (range !== undefined) {
      const hash = recordHashKey(sub);
      if (hash < range.start || hash > range.end) {
        outside++;
        if (drop) continue;
      }
    }
    const before = out.written;
    parseAndWrite(origin, sub.data, sub.partitionKey, sub.subSequenceNumber, sub.explicitHashKey, context, out, false);
    if (out.lastItemSince(before)) out.stepCommitLast(subRecordPosition(origin.SequenceNumber, sub.subSequenceNumber));
  }
  if (outside > 0) context.onOutOfRange?.(origin.SequenceNumber, outside);
  if (out.lastItemSince(mark)) out.completeLast();
  else finishRecord(origin, context, out);
  return data.length;
}

/** An ASCII payload, as text: one item (`parseTextItem`) or a list (`parseText`). */
function parseTextAndWrite<T>(wire: WireKinesisRecord, text: string, processor: Processor<T>, context: DecodeContext<T>, out: PageWriter<T>): void {
  const arrivalSeconds = wire.ApproximateArrivalTimestamp ?? 0;
  if (processor.parseTextItem !== undefined) {
    let item: T;
    try {
      item = processor.parseTextItem(text);
    } catch (cause) {
      writeError(wire, cause, undefined, context, out);
      finishRecord(wire, context, out);
      return;
    }
    // Its only item completes the record: written with its commit, not patched afterwards.
    out.item(item, wire.PartitionKey, wire.SequenceNumber, arrivalSeconds, text.length, true);
    return;
  }
  let items: T[];
  try {
    items = processor.parseText!(text);
  } catch (cause) {
    writeError(wire, cause, undefined, context, out);
    finishRecord(wire, context, out);
    return;
  }
  if (items.length === 0) finishRecord(wire, context, out);
  else writeItems(wire, items, text.length, wire.PartitionKey, true, out);
}

/** Parse a payload's bytes and write its items; `completesRecord`: its last item completes the Kinesis record. */
function parseAndWrite<T>(
  origin: Origin,
  data: Uint8Array,
  partitionKey: string,
  subSequenceNumber: number | undefined,
  explicitHashKey: string | undefined,
  context: DecodeContext<T>,
  out: PageWriter<T>,
  completesRecord: boolean,
): void {
  const processor = context.processor;
  let items: T[];
  try {
    if (processor.parseItem !== undefined) {
      const item = processor.parseItem(data);
      out.item(item, partitionKey, origin.SequenceNumber, origin.ApproximateArrivalTimestamp ?? 0, data.length, completesRecord);
      if (subSequenceNumber !== undefined) out.subRecord(subSequenceNumber, explicitHashKey);
      return;
    }
    items = processor.parse(data);
  } catch (cause) {
    writeError(origin, cause, subSequenceNumber, context, out);
    return;
  }
  if (subSequenceNumber === undefined) {
    writeItems(origin, items, data.length, partitionKey, completesRecord, out);
    return;
  }
  const bytes = items.length <= 1 ? data.length : data.length / items.length;
  const arrivalSeconds = origin.ApproximateArrivalTimestamp ?? 0;
  for (const item of items) {
    out.item(item, partitionKey, origin.SequenceNumber, arrivalSeconds, bytes, false);
    out.subRecord(subSequenceNumber, explicitHashKey);
  }
}

/** Add a commit marker: the record carried no item that can carry its commit. */
function finishRecord<T>(origin: Origin, context: DecodeContext<T>, out: PageWriter<T>): void {
  // No items (an empty list, an aggregate wholly outside the shard and dropped), or it ended in a decode error.
  out.marker({ kind: "commit", shardId: context.shardId, lease: context.lease, weight: 1, commit: origin.SequenceNumber });
}

/** A payload that failed to decode becomes an error entry naming its shard and sequence. */
function writeError<T>(origin: Origin, cause: unknown, subSequenceNumber: number | undefined, context: DecodeContext<T>, out: PageWriter<T>): void {
  const error = cause instanceof DecodeError ? cause : new DecodeError(`could not decode record: ${(cause as Error)?.message ?? cause}`, { cause });
  error.shardId = context.shardId;
  error.sequenceNumber = origin.SequenceNumber;
  error.subSequenceNumber = subSequenceNumber;
  out.marker({ kind: "error", shardId: context.shardId, lease: context.lease, weight: 0, commit: undefined, error });
}

/** A plain payload's items; a payload's size is shared by its items. */
function writeItems<T>(origin: Origin, items: readonly T[], size: number, partitionKey: string, completesRecord: boolean, out: PageWriter<T>): void {
  const count = items.length;
  // A whole number when there is one item (most records): no heap number per item.
  const bytes = count <= 1 ? size : size / count;
  const arrivalSeconds = origin.ApproximateArrivalTimestamp ?? 0;
  const last = completesRecord ? count - 1 : -1;
  for (let i = 0; i < count; i++) out.item(items[i]!, partitionKey, origin.SequenceNumber, arrivalSeconds, bytes, i === last);
}
