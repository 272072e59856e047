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
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The later of two sequence numbers; `undefined` counts as "nothing yet". */
export function laterSequence(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareSequence(a, b) >= 0 ? a : b;
}

const CANONICAL = /^(?:0|[1-9][0-9]*)$/;

function isCanonical(text: string): boolean {
  return CANONICAL.test(text);
}
