/** What the sink serves; shared by the sink process and the client that checks its answers. */
export const PUT_BATCH = 500;
export const GET_BATCH = 10_000;
export const RECORD_BYTES = 100;

/** Deterministic bytes, so every run serves the same response. */
export function recordBytes(index: number): Uint8Array {
  const bytes = new Uint8Array(RECORD_BYTES);
  let x = (index + 1) * 2654435761;
  for (let i = 0; i < bytes.length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    bytes[i] = x & 255;
  }
  return bytes;
}
