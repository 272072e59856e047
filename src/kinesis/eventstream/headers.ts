import { ProtocolError } from "../../errors.ts";

/**
 * A header value of the event-stream framing, by its wire type: 0/1 booleans, 2–5 signed integers of
 * 1, 2, 4 and 8 bytes (the 8-byte one as a bigint), 6 bytes, 7 a UTF-8 string, 8 a timestamp (epoch
 * milliseconds, as a Date), 9 a UUID (lower-case, dashed).
 */
export type HeaderValue =
  | { type: "boolean"; value: boolean }
  | { type: "byte" | "short" | "integer"; value: number }
  | { type: "long"; value: bigint }
  | { type: "bytes"; value: Uint8Array }
  | { type: "string"; value: string }
  | { type: "timestamp"; value: Date }
  | { type: "uuid"; value: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Decode the header block `bytes[start, end)` into a map by name. Malformed headers are a ProtocolError. */
export function decodeHeaders(bytes: Uint8Array, start: number, end: number): Map<string, HeaderValue> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headers = new Map<string, HeaderValue>();
  let at = start;
  const need = (count: number, what: string): void => {
    if (at + count > end) throw new ProtocolError(`event stream: header block ends inside ${what}`);
  };
  while (at < end) {
    need(1, "a header name length");
    const nameLength = bytes[at]!;
    at += 1;
    need(nameLength + 1, "a header name");
    const name = text(bytes, at, at + nameLength, "header name");
    at += nameLength;
    const type = bytes[at]!;
    at += 1;
    let value: HeaderValue;
    switch (type) {
      case 0:
      case 1:
        value = { type: "boolean", value: type === 0 };
        break;
      case 2:
        need(1, `header ${name}`);
        value = { type: "byte", value: view.getInt8(at) };
        at += 1;
        break;
      case 3:
        need(2, `header ${name}`);
        value = { type: "short", value: view.getInt16(at) };
        at += 2;
        break;
      case 4:
        need(4, `header ${name}`);
        value = { type: "integer", value: view.getInt32(at) };
        at += 4;
        break;
      case 5:
        need(8, `header ${name}`);
        value = { type: "long", value: view.getBigInt64(at) };
        at += 8;
        break;
      case 6:
      case 7: {
        need(2, `header ${name}`);
        const length = view.getUint16(at);
        at += 2;
        need(length, `header ${name}`);
        value = type === 6 ? { type: "bytes", value: bytes.slice(at, at + length) } : { type: "string", value: text(bytes, at, at + length, `header ${name}`) };
        at += length;
        break;
      }
      case 8:
        need(8, `header ${name}`);
        value = { type: "timestamp", value: new Date(Number(view.getBigInt64(at))) };
        at += 8;
        break;
      case 9:
        need(16, `header ${name}`);
        value = { type: "uuid", value: uuid(bytes, at) };
        at += 16;
        break;
      default:
        throw new ProtocolError(`event stream: header ${name} has unknown value type ${type}`);
    }
    headers.set(name, value);
  }
  return headers;
}

function text(bytes: Uint8Array, start: number, end: number, what: string): string {
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch (cause) {
    throw new ProtocolError(`event stream: ${what} is not valid UTF-8`, { cause });
  }
}

function uuid(bytes: Uint8Array, at: number): string {
  let hex = "";
  for (let i = 0; i < 16; i++) hex += bytes[at + i]!.toString(16).padStart(2, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
