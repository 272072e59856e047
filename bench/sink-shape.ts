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

/** Shard, stream and iterator the sink reports to a Consumer (consumer-decode bench). */
export const SINK_STREAM = "bench";
export const SINK_SHARD = "shardId-000000000000";

/**
 * A small JSON event, about 100 bytes, different for each index: what a consumer decodes in the
 * consumer-decode bench (`--payload=json` sink).
 */
export function jsonRecordBytes(index: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(jsonEvent(index)));
}

/** A ~100-byte JSON event, different per index: the payload of the JSON rows (consumer and producer). */
export function jsonEvent(index: number): Record<string, unknown> {
  return {
    id: `evt-${String(index).padStart(6, "0")}`,
    ts: 1_767_225_600_000 + index,
    user: `user-${index % 977}`,
    type: index % 3 === 0 ? "click" : "view",
    value: (index % 1000) / 8,
    tags: ["web", `v${index % 5}`],
  };
}
