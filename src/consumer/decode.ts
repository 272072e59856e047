import { deaggregate, recordHashKey } from "../aggregation/kpl.ts";
import type { Lease } from "../checkpointers/types.ts";
import { DecodeError } from "../errors.ts";
import { decodeBase64 } from "../internal/base64.ts";
import { subRecordPosition } from "../internal/sequence.ts";
import { base64ToBinary, binaryToBytes, isAsciiBinary } from "../internal/binary-string.ts";
import type { WireKinesisRecord } from "../kinesis/types.ts";
import type { Processor } from "../processors/types.ts";
import type { QueueEntry } from "./entries.ts";
import type { KplHashRangeCheck } from "./options.ts";

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
 * when magic and MD5 both check), decode each payload with the processor, and mark the last entry to
 * commit the record. Returns the payload's size in bytes.
 *
 * Text payloads take a shortcut: base64 is decoded to a binary string by the platform's native
 * `atob`, and when that string is pure ASCII it already is the payload's text, so it goes to the
 * processor's `parseText` without a byte array or a UTF-8 decoder.
 */
export function decodeWireRecord<T>(wire: WireKinesisRecord, context: DecodeContext<T>, out: Array<QueueEntry<T>>): number {
  const start = out.length;
  const origin: Origin = wire;
  const processor = context.processor;
  let data: Uint8Array;
  if (processor.parseText !== undefined) {
    const binary = base64ToBinary(wire.Data);
    // KPL aggregates start with 0xF3, so an ASCII payload is never one.
    if (isAsciiBinary(binary)) {
      let items: T[] | undefined;
      try {
        items = processor.parseText(binary);
      } catch (cause) {
        pushError(origin, cause, undefined, context, out);
      }
      // Its last item completes the record: made with its commit, not patched afterwards.
      if (items !== undefined) pushItems(origin, items, binary.length, wire.PartitionKey, undefined, undefined, context, out, true);
      if (items === undefined || items.length === 0) finishRecord(origin, start, context, out);
      return binary.length;
    }
    data = binaryToBytes(binary);
  } else {
    data = decodeBase64(wire.Data);
  }
  const subRecords = deaggregate(data);
  if (subRecords === undefined) {
    parseAndPush(origin, data, wire.PartitionKey, undefined, undefined, context, out);
  } else {
    const range = context.hashRange;
    const drop = context.kplHashRangeCheck === "drop";
    const resume = context.resumeInside;
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
      const before = out.length;
      parseAndPush(origin, sub.data, sub.partitionKey, sub.subSequenceNumber, sub.explicitHashKey, context, out);
      const last = out.length > before ? out[out.length - 1] : undefined;
      if (last?.kind === "item") last.stepCommit = subRecordPosition(origin.SequenceNumber, sub.subSequenceNumber);
    }
    if (outside > 0) context.onOutOfRange?.(origin.SequenceNumber, outside);
  }
  finishRecord(origin, start, context, out);
  return data.length;
}

function parseAndPush<T>(
  origin: Origin,
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
    pushError(origin, cause, subSequenceNumber, context, out);
    return;
  }
  pushItems(origin, items, data.length, partitionKey, subSequenceNumber, explicitHashKey, context, out);
}

/** Mark the record's last entry to commit it, or add a marker when no item can carry the commit. */
function finishRecord<T>(origin: Origin, start: number, context: DecodeContext<T>, out: Array<QueueEntry<T>>): void {
  const last = out.length > start ? out[out.length - 1]! : undefined;
  if (last?.kind === "item") {
    last.weight = 1;
    last.commit = origin.SequenceNumber;
    return;
  }
  // No items (an empty list, an aggregate wholly outside the shard and dropped), or it ended in a decode error.
  out.push({ kind: "commit", shardId: context.shardId, lease: context.lease, weight: 1, commit: origin.SequenceNumber });
}

/** A payload that failed to decode becomes an error entry naming its shard and sequence. */
function pushError<T>(origin: Origin, cause: unknown, subSequenceNumber: number | undefined, context: DecodeContext<T>, out: Array<QueueEntry<T>>): void {
  const error = cause instanceof DecodeError ? cause : new DecodeError(`could not decode record: ${(cause as Error)?.message ?? cause}`, { cause });
  error.shardId = context.shardId;
  error.sequenceNumber = origin.SequenceNumber;
  error.subSequenceNumber = subSequenceNumber;
  out.push({ kind: "error", shardId: context.shardId, lease: context.lease, weight: 0, commit: undefined, error });
}

function pushItems<T>(
  origin: Origin,
  items: readonly T[],
  size: number,
  partitionKey: string,
  subSequenceNumber: number | undefined,
  explicitHashKey: string | undefined,
  context: DecodeContext<T>,
  out: Array<QueueEntry<T>>,
  completesRecord = false,
): void {
  const count = items.length;
  // A whole number when there is one item (most records): no heap number per entry.
  const bytes = count <= 1 ? size : size / count;
  const arrivalSeconds = origin.ApproximateArrivalTimestamp ?? 0;
  const lastCompletes = completesRecord ? count - 1 : -1;
  for (let i = 0; i < count; i++) {
    const completes = i === lastCompletes;
    // One literal, every field always present: all item entries share one shape.
    out.push({
      kind: "item",
      shardId: context.shardId,
      lease: context.lease,
      weight: completes ? 1 : 0,
      commit: completes ? origin.SequenceNumber : undefined,
      stepCommit: undefined,
      data: items[i]!,
      partitionKey,
      sequenceNumber: origin.SequenceNumber,
      arrivalSeconds,
      millisBehindLatest: context.millisBehindLatest,
      subSequenceNumber,
      explicitHashKey,
      bytes,
    });
  }
}
