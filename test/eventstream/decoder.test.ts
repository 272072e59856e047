import { describe, expect, it } from "vitest";
import { EventStreamCodec } from "@smithy/core/event-streams";
import { AwsServiceError, ProtocolError } from "../../src/errors.ts";
import { crc32 } from "../../src/kinesis/eventstream/crc32.ts";
import { EventStreamDecoder, type EventStreamMessage } from "../../src/kinesis/eventstream/decoder.ts";
import { interpretMessage } from "../../src/kinesis/eventstream/messages.ts";
import { concatBytes, encodeMessage, eventMessage, exceptionMessage } from "../support/eventstream-frames.ts";

const utf8 = new TextDecoder();

function decodeAll(bytes: Uint8Array, chunkSizes?: number[]): EventStreamMessage[] {
  const decoder = new EventStreamDecoder();
  const out: EventStreamMessage[] = [];
  let at = 0;
  for (const size of chunkSizes ?? [bytes.length]) {
    out.push(...decoder.push(bytes.subarray(at, at + size)));
    at += size;
  }
  if (at < bytes.length) out.push(...decoder.push(bytes.subarray(at)));
  decoder.end();
  return out;
}

const record = { Records: [{ Data: "aGVsbG8=", PartitionKey: "a", SequenceNumber: "1" }], ContinuationSequenceNumber: "1", MillisBehindLatest: 0 };

describe("CRC-32", () => {
  it("matches the IEEE check value for '123456789' and the empty input", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe("event stream decoder", () => {
  it("decodes every header value type and the payload", () => {
    const bytes = encodeMessage({
      t: { type: "boolean", value: true },
      f: { type: "boolean", value: false },
      b: { type: "byte", value: -7 },
      s: { type: "short", value: -1234 },
      i: { type: "integer", value: 2_000_000_000 },
      l: { type: "long", value: -9_007_199_254_740_993n },
      y: { type: "bytes", value: Uint8Array.of(0, 255, 1) },
      str: { type: "string", value: "héllo" },
      ts: { type: "timestamp", value: new Date(1_700_000_000_123) },
      u: { type: "uuid", value: "01234567-89ab-cdef-0123-456789abcdef" },
    }, "payload");
    const [message] = decodeAll(bytes);
    expect(Object.fromEntries(message!.headers)).toEqual({
      t: { type: "boolean", value: true },
      f: { type: "boolean", value: false },
      b: { type: "byte", value: -7 },
      s: { type: "short", value: -1234 },
      i: { type: "integer", value: 2_000_000_000 },
      l: { type: "long", value: -9_007_199_254_740_993n },
      y: { type: "bytes", value: Uint8Array.of(0, 255, 1) },
      str: { type: "string", value: "héllo" },
      ts: { type: "timestamp", value: new Date(1_700_000_000_123) },
      u: { type: "uuid", value: "01234567-89ab-cdef-0123-456789abcdef" },
    });
    expect(utf8.decode(message!.payload)).toBe("payload");
  });

  it("decodes what @smithy/core's encoder writes, byte for byte the same as the test encoder", () => {
    const codec = new EventStreamCodec((b: Uint8Array) => utf8.decode(b), (s: string) => new TextEncoder().encode(s));
    const smithy = codec.encode({
      headers: {
        ":message-type": { type: "string", value: "event" },
        ":event-type": { type: "string", value: "SubscribeToShardEvent" },
        flag: { type: "boolean", value: false },
        n: { type: "integer", value: 42 },
      },
      body: new TextEncoder().encode(JSON.stringify(record)),
    });
    const ours = encodeMessage({
      ":message-type": { type: "string", value: "event" },
      ":event-type": { type: "string", value: "SubscribeToShardEvent" },
      flag: { type: "boolean", value: false },
      n: { type: "integer", value: 42 },
    }, JSON.stringify(record));
    expect(smithy).toEqual(ours);
    const [message] = decodeAll(smithy);
    expect(JSON.parse(utf8.decode(message!.payload))).toEqual(record);
    expect(message!.headers.get("n")).toEqual({ type: "integer", value: 42 });
  });

  it("a corrupt prelude CRC is a ProtocolError naming the prelude", () => {
    const bytes = eventMessage("SubscribeToShardEvent", record);
    bytes[9]! ^= 0x01;
    expect(() => decodeAll(bytes)).toThrow(ProtocolError);
    expect(() => decodeAll(bytes)).toThrow(/prelude CRC mismatch/);
  });

  it("a corrupt payload byte is a message CRC mismatch, also when the message arrives byte by byte", () => {
    const bytes = eventMessage("SubscribeToShardEvent", record);
    bytes[bytes.length - 10]! ^= 0x20;
    expect(() => decodeAll(bytes)).toThrow(/message CRC mismatch/);
    expect(() => decodeAll(bytes, Array.from({ length: bytes.length }, () => 1))).toThrow(/message CRC mismatch/);
  });

  it("a corrupt message CRC itself is a ProtocolError", () => {
    const bytes = eventMessage("SubscribeToShardEvent", record);
    bytes[bytes.length - 1]! ^= 0xff;
    expect(() => decodeAll(bytes)).toThrow(ProtocolError);
  });

  it("after a CRC failure the decoder stays failed", () => {
    const bad = eventMessage("SubscribeToShardEvent", record);
    bad[bad.length - 1]! ^= 0xff;
    const decoder = new EventStreamDecoder();
    expect(() => decoder.push(bad)).toThrow(ProtocolError);
    expect(() => decoder.push(eventMessage("SubscribeToShardEvent", record))).toThrow(/message CRC mismatch/);
  });

  it("yields the same messages for a stream split at every byte position, and byte by byte", () => {
    const bytes = concatBytes(eventMessage("initial-response", {}), eventMessage("SubscribeToShardEvent", record), exceptionMessage("InternalFailure", "x"));
    const whole = decodeAll(bytes);
    expect(whole).toHaveLength(3);
    for (let split = 1; split < bytes.length; split++) {
      expect(decodeAll(bytes, [split])).toEqual(whole);
    }
    expect(decodeAll(bytes, Array.from({ length: bytes.length }, () => 1))).toEqual(whole);
  });

  it("decodes several messages from one chunk, in order", () => {
    const events = [1, 2, 3, 4].map((n) => eventMessage("SubscribeToShardEvent", { ...record, ContinuationSequenceNumber: String(n) }));
    const messages = decodeAll(concatBytes(...events));
    expect(messages.map((m) => (JSON.parse(utf8.decode(m.payload)) as { ContinuationSequenceNumber: string }).ContinuationSequenceNumber)).toEqual([
      "1",
      "2",
      "3",
      "4",
    ]);
  });

  it("an announced length over the limit is refused from the prelude, before any allocation", () => {
    const bytes = eventMessage("SubscribeToShardEvent", record);
    const decoder = new EventStreamDecoder({ maxMessageBytes: bytes.length - 1 });
    expect(() => decoder.push(bytes.subarray(0, 12))).toThrow(/exceeds the limit/);
  });

  it("a header length larger than the message, or a total shorter than the framing, is refused", () => {
    const prelude = (total: number, headers: number): Uint8Array => {
      const out = new Uint8Array(12);
      const view = new DataView(out.buffer);
      view.setUint32(0, total);
      view.setUint32(4, headers);
      view.setUint32(8, crc32(out, 0, 8));
      return out;
    };
    expect(() => new EventStreamDecoder().push(prelude(40, 30))).toThrow(/does not fit/);
    expect(() => new EventStreamDecoder().push(prelude(8, 0))).toThrow(/shorter than its framing/);
    expect(() => new EventStreamDecoder().push(prelude(0xffffffff, 0))).toThrow(/exceeds the limit/);
    expect(() => new EventStreamDecoder({ maxHeaderBytes: 16 }).push(prelude(100, 20))).toThrow(/header length 20 exceeds/);
  });

  it("a stream that ends inside a message is a ProtocolError at end()", () => {
    const bytes = eventMessage("SubscribeToShardEvent", record);
    const decoder = new EventStreamDecoder();
    expect(decoder.push(bytes.subarray(0, 20))).toEqual([]);
    expect(() => decoder.end()).toThrow(/ended inside a message/);
  });

  it("an unknown header value type is a ProtocolError", () => {
    const bytes = encodeMessage({ a: { type: "byte", value: 1 } });
    bytes[14] = 42; // the type byte, after the 12-byte prelude, name length 1 and the name "a"
    const view = new DataView(bytes.buffer);
    view.setUint32(bytes.length - 4, crc32(bytes, 0, bytes.length - 4));
    expect(() => decodeAll(bytes)).toThrow(/unknown value type 42/);
  });
});

describe("event stream messages", () => {
  it("an event gives its :event-type and payload", () => {
    const [message] = decodeAll(eventMessage("initial-response", {}));
    const event = interpretMessage(message!, "kinesis", "SubscribeToShard");
    expect(event.eventType).toBe("initial-response");
    expect(utf8.decode(event.payload)).toBe("{}");
  });

  it.each([
    ["ResourceInUseException", false, false],
    ["ResourceNotFoundException", false, false],
    ["KMSThrottlingException", true, true],
    ["InternalFailure", true, false],
  ])("an exception event %s is an AwsServiceError with that code (retryable %s, throttling %s)", (code, retryable, throttling) => {
    const [message] = decodeAll(exceptionMessage(code, `something about ${code}`));
    let caught: unknown;
    try {
      interpretMessage(message!, "kinesis", "SubscribeToShard");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AwsServiceError);
    const error = caught as AwsServiceError;
    expect(error.awsCode).toBe(code);
    expect(error.operation).toBe("SubscribeToShard");
    expect(error.retryable).toBe(retryable);
    expect(error.throttling).toBe(throttling);
    expect(error.message).toContain(`something about ${code}`);
  });

  it("an error message takes its code and text from :error-code and :error-message", () => {
    const bytes = encodeMessage({
      ":message-type": { type: "string", value: "error" },
      ":error-code": { type: "string", value: "InternalError" },
      ":error-message": { type: "string", value: "try again" },
    });
    const [message] = decodeAll(bytes);
    expect(() => interpretMessage(message!, "kinesis", "SubscribeToShard")).toThrow(/InternalError.*try again/);
  });

  it("a message without a known :message-type is a ProtocolError", () => {
    const [message] = decodeAll(encodeMessage({ ":message-type": { type: "string", value: "weird" } }));
    expect(() => interpretMessage(message!, "kinesis", "SubscribeToShard")).toThrow(ProtocolError);
  });
});
