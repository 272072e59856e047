import { crc32 } from "./crc32.ts";

const utf8 = new TextEncoder();

/**
 * One `application/vnd.amazon.eventstream` message, the inverse of EventStreamDecoder: prelude
 * (total length, header length, prelude CRC-32), headers, payload, message CRC-32. Only string
 * headers (wire type 7) are written: they are all SubscribeToShard's messages carry
 * (`:message-type`, `:event-type`, `:exception-type`, `:content-type`). Used by the in-memory
 * Kinesis of `async-kinesis/testing` to serve SubscribeToShard.
 */
export function encodeEventStreamMessage(headers: Readonly<Record<string, string>>, payload: Uint8Array): Uint8Array {
  const encoded = Object.entries(headers).map(([name, value]) => [utf8.encode(name), utf8.encode(value)] as const);
  let headerBytes = 0;
  for (const [name, value] of encoded) {
    if (name.length > 255) throw new RangeError(`event stream header name longer than 255 bytes: ${name.length}`);
    if (value.length > 65_535) throw new RangeError(`event stream header value longer than 65535 bytes: ${value.length}`);
    headerBytes += 1 + name.length + 1 + 2 + value.length;
  }
  const total = 12 + headerBytes + payload.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headerBytes);
  view.setUint32(8, crc32(out, 0, 8));
  let at = 12;
  for (const [name, value] of encoded) {
    out[at++] = name.length;
    out.set(name, at);
    at += name.length;
    out[at++] = 7;
    view.setUint16(at, value.length);
    at += 2;
    out.set(value, at);
    at += value.length;
  }
  out.set(payload, at);
  view.setUint32(total - 4, crc32(out, 0, total - 4));
  return out;
}
