/**
 * Builds `application/vnd.amazon.eventstream` messages for tests: an encoder written apart from the
 * decoder under test (src/kinesis/eventstream/), checked against @smithy/core's encoder in
 * test/eventstream/decoder.test.ts, plus the SubscribeToShard messages a server would send.
 */
import { crc32 } from "../../src/kinesis/eventstream/crc32.ts";

export type TestHeader =
  | { type: "boolean"; value: boolean }
  | { type: "byte" | "short" | "integer"; value: number }
  | { type: "long"; value: bigint }
  | { type: "bytes"; value: Uint8Array }
  | { type: "string"; value: string }
  | { type: "timestamp"; value: Date }
  | { type: "uuid"; value: string };

const utf8 = new TextEncoder();

function headerBytes(headers: Record<string, TestHeader>): Uint8Array {
  const parts: number[] = [];
  for (const [name, header] of Object.entries(headers)) {
    const nameBytes = utf8.encode(name);
    parts.push(nameBytes.length, ...nameBytes);
    const fixed = (type: number, size: number, write: (view: DataView) => void): void => {
      const view = new DataView(new ArrayBuffer(size));
      write(view);
      parts.push(type, ...new Uint8Array(view.buffer));
    };
    switch (header.type) {
      case "boolean":
        parts.push(header.value ? 0 : 1);
        break;
      case "byte":
        fixed(2, 1, (v) => v.setInt8(0, header.value));
        break;
      case "short":
        fixed(3, 2, (v) => v.setInt16(0, header.value));
        break;
      case "integer":
        fixed(4, 4, (v) => v.setInt32(0, header.value));
        break;
      case "long":
        fixed(5, 8, (v) => v.setBigInt64(0, header.value));
        break;
      case "bytes":
      case "string": {
        const value = header.type === "bytes" ? header.value : utf8.encode(header.value);
        fixed(header.type === "bytes" ? 6 : 7, 2, (v) => v.setUint16(0, value.length));
        parts.push(...value);
        break;
      }
      case "timestamp":
        fixed(8, 8, (v) => v.setBigInt64(0, BigInt(header.value.getTime())));
        break;
      case "uuid": {
        const hex = header.value.replaceAll("-", "");
        parts.push(9);
        for (let i = 0; i < 32; i += 2) parts.push(parseInt(hex.slice(i, i + 2), 16));
        break;
      }
    }
  }
  return Uint8Array.from(parts);
}

/** One whole message with correct CRCs. */
export function encodeMessage(headers: Record<string, TestHeader>, payload: Uint8Array | string = new Uint8Array(0)): Uint8Array {
  const body = typeof payload === "string" ? utf8.encode(payload) : payload;
  const head = headerBytes(headers);
  const total = 16 + head.length + body.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, head.length);
  view.setUint32(8, crc32(out, 0, 8));
  out.set(head, 12);
  out.set(body, 12 + head.length);
  view.setUint32(total - 4, crc32(out, 0, total - 4));
  return out;
}

const text = (value: string): TestHeader => ({ type: "string", value });

/** An `event` message of `eventType` with a JSON payload. */
export function eventMessage(eventType: string, payload: unknown): Uint8Array {
  return encodeMessage(
    { ":message-type": text("event"), ":event-type": text(eventType), ":content-type": text("application/json") },
    JSON.stringify(payload),
  );
}

/** An `exception` message, as a service sends a modelled error inside the stream. */
export function exceptionMessage(exceptionType: string, message: string): Uint8Array {
  return encodeMessage(
    { ":message-type": text("exception"), ":exception-type": text(exceptionType), ":content-type": text("application/json") },
    JSON.stringify({ message }),
  );
}

/** Bytes of several messages back to back. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
