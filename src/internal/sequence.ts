/**
 * Kinesis sequence numbers are opaque decimal strings of up to 128 bits; one local server numbers
 * them "1", "2", ... Compare them as BigInt, never as numbers or by string length alone.
 */
export function compareSequence(a: string, b: string): number {
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
