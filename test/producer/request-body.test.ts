import { describe, expect, it } from "vitest";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { jsonString, putRecordsBody } from "../../src/producer/request-body.ts";
import type { QueuedRecord } from "../../src/producer/queued-record.ts";

function record(partitionKey: string, data: Uint8Array, explicitHashKey?: string): QueuedRecord {
  return {
    seq: 0,
    data,
    partitionKey,
    explicitHashKey,
    bytes: data.byteLength,
    hashKey: undefined,
    shardId: "s",
    items: [],
    generation: 0,
    dueAt: 0,
    attempts: 0,
  };
}

function base64(data: Uint8Array): string {
  let binary = "";
  for (const byte of data) binary += String.fromCharCode(byte);
  return btoa(binary);
}

const awkwardKeys = [
  "plain-key",
  'quo"te',
  "back\\slash",
  "tab\there",
  "line\nbreak",
  "\u0000\u001f\u007f",
  "ünïcödé ✓",
  "😀",
  "lone \ud800 surrogate",
  " ",
  "</script>",
  "~",
];

describe("PutRecords request body", () => {
  it("writes each partition key exactly as JSON.stringify would", () => {
    for (const key of awkwardKeys) expect(jsonString(key)).toBe(JSON.stringify(key));
  });

  it("is the UTF-8 of JSON.stringify of the request: names, ARNs, explicit hash keys, awkward keys, every padding", () => {
    // Data of 0 to 11 bytes covers no padding, one "=" and two, with every byte value somewhere.
    const batch = awkwardKeys.map((key, i) =>
      record(key, Uint8Array.from({ length: i }, (_, j) => (i * 37 + j * 101) & 255), i % 3 === 0 ? String(BigInt(i) << 100n) : undefined)
    );
    batch.push(record("all-bytes", Uint8Array.from({ length: 256 }, (_, j) => j)));
    for (const stream of ["orders", "arn:aws:kinesis:us-east-1:123456789012:stream/orders"]) {
      const expected = {
        ...(stream.startsWith("arn:") ? { StreamARN: stream } : { StreamName: stream }),
        Records: batch.map((r) => ({
          Data: base64(r.data),
          PartitionKey: r.partitionKey,
          ...(r.explicitHashKey === undefined ? {} : { ExplicitHashKey: r.explicitHashKey }),
        })),
      };
      const body = putRecordsBody(stream, batch);
      expect(body).toEqual(new TextEncoder().encode(JSON.stringify(expected)));
      expect(JSON.parse(new TextDecoder().decode(body))).toEqual(expected);
    }
  });

  it("writes an empty batch as an empty Records list", () => {
    expect(new TextDecoder().decode(putRecordsBody("s", []))).toBe('{"StreamName":"s","Records":[]}');
  });

  it("is signed exactly like the same request serialised as a string", async () => {
    const client = new KinesisClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "not-a-secret" } });
    const batch = awkwardKeys.map((key, i) => record(key, Uint8Array.from({ length: 40 + i }, (_, j) => j * i)));
    const bytes = putRecordsBody("orders", batch);
    const text = new TextDecoder().decode(bytes);
    const credentials = { accessKeyId: "AKIDTEST", secretAccessKey: "not-a-secret" };
    const fromBytes = await client.http.sign("PutRecords", bytes, credentials, "20260101T000000Z");
    const fromText = await client.http.sign("PutRecords", text, credentials, "20260101T000000Z");
    expect(fromBytes.headers.get("authorization")).toBe(fromText.headers.get("authorization"));
    expect(fromBytes.headers.get("x-amz-content-sha256") ?? "").toBe(fromText.headers.get("x-amz-content-sha256") ?? "");
  });
});
