/**
 * Kinesis sequence numbers are opaque decimal strings of up to 128 bits; one local server numbers
 * them "1", "2", ... Compare them as BigInt, never as numbers or by string length alone.
 */
export function compareSequence(a: string, b: string): number {
  // Canonical decimals (no sign, no leading zero) order by length, then character by character:
  // exact, and much cheaper than two BigInts on the consumer's per-record path.
  if (isCanonical(a) && isCanonical(b)) {
    if (a.length !== b.length) return a.length < b.length ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (a.includes(":") || b.includes(":")) return comparePositions(parsePosition(a), parsePosition(b));
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A checkpoint inside a KPL aggregate: `<sequence>:<sub-sequence>` says the record `sequence` is done
 * up to and including that sub-record (a bounded step ended there). It sorts after the record before
 * `sequence` and before `sequence` itself (the whole record done), as the KCL's extended sequence
 * numbers do. A plain sequence has no `subSequence`.
 */
export interface CheckpointPosition {
  sequence: string;
  subSequence?: number | undefined;
}

/** The checkpoint text for "record `sequence` done up to and including sub-record `subSequence`". */
export function subRecordPosition(sequence: string, subSequence: number): string {
  return `${sequence}:${subSequence}`;
}

/** Split a checkpoint into its Kinesis sequence number and, inside an aggregate, its sub-sequence. */
export function parsePosition(position: string): CheckpointPosition {
  const colon = position.indexOf(":");
  if (colon < 0) return { sequence: position };
  const sub = Number(position.slice(colon + 1));
  if (!Number.isSafeInteger(sub) || sub < 0) throw new TypeError(`not a checkpoint position: ${position}`);
  return { sequence: position.slice(0, colon), subSequence: sub };
}

function comparePositions(a: CheckpointPosition, b: CheckpointPosition): number {
  const bySequence = compareSequence(a.sequence, b.sequence);
  if (bySequence !== 0) return bySequence;
  // A whole record (no sub-sequence) is past every one of its sub-records.
  const x = a.subSequence ?? Number.POSITIVE_INFINITY;
  const y = b.subSequence ?? Number.POSITIVE_INFINITY;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The later of two sequence numbers; `undefined` counts as "nothing yet". */
export function laterSequence(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareSequence(a, b) >= 0 ? a : b;
}

const CANONICAL = /^(?:0|[1-9][0-9]*)$/;

/** Whether `text` is a sequence number in canonical form (decimal digits, no sign, no leading zero). */
export function isCanonicalSequence(text: string): boolean {
  return CANONICAL.test(text);
}

/**
 * `compareSequence(a, b) > 0` for two canonical sequence numbers (see `isCanonicalSequence`): longer is
 * later, then the first differing digit decides. One scan of the strings, no pattern test: for callers
 * that validated both once and compare them with many others (a checkpoint against each record).
 */
export function isLaterCanonical(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}

function isCanonical(text: string): boolean {
  return CANONICAL.test(text);
}
