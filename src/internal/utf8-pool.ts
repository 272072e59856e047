/**
 * UTF-8 for the many small strings a producer encodes (one JSON event per `put`): each result is a
 * view into a shared slab, as runtimes' own byte pools do. `TextEncoder.encode` allocates
 * a separate ArrayBuffer per call, which on Node costs ~0.7 µs for a 100-byte string, against
 * ~0.15 µs for `encodeInto` a slab (bench/producer-cpu.ts). Web APIs only.
 *
 * A result keeps its slab alive while it lives (as any pooled view does), and its `.buffer` is the
 * whole slab: callers read it through `byteOffset`/`byteLength`, never `.buffer` alone. Long strings
 * get an array of their own, so one large item never pins a slab nor wastes one.
 */
import { encodeUtf8 } from "./utf8.ts";

const SLAB_BYTES = 16 * 1024;
/** Strings up to this many UTF-16 units (at most 3 bytes each in UTF-8) go into a slab. */
const POOLED_MAX_UNITS = 1024;

let encoder: TextEncoder | undefined;
let slab: Uint8Array<ArrayBuffer> | undefined;
let used = 0;

export function encodeUtf8Pooled(text: string): Uint8Array {
  if (text.length > POOLED_MAX_UNITS) return encodeUtf8(text);
  encoder ??= new TextEncoder();
  // Room for the worst case, so encodeInto never stops short.
  if (slab === undefined || used + text.length * 3 > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const start = used;
  const { written } = encoder.encodeInto(text, slab.subarray(start));
  used = start + written;
  return new Uint8Array(slab.buffer, start, written);
}
