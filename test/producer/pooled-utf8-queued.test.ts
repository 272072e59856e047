import { describe, expect, it } from "vitest";
import { Producer } from "../../src/producer/producer.ts";
import { testCredentials } from "../support/clients.ts";
import { stubKinesis } from "./stub-kinesis.ts";

/**
 * JSON items are encoded into views of a shared UTF-8 slab (src/internal/utf8-pool.ts). A view must
 * stay intact for as long as its record lives in the producer: queued behind a request in flight
 * while many later items fill and replace slabs, and sent again after the service refused it.
 * The service here (in-process, no sockets) holds the first PutRecords until every item is put and
 * throttles every other record of each of the first requests, so the data of queued and retried
 * records is read long after later items were encoded.
 */
const STREAM = "pooled-utf8";

describe("pooled UTF-8 item data in the producer", () => {
  it("records queued behind a request in flight and retried after throttling are sent with the bytes of their own item", async () => {
    const stub = stubKinesis(STREAM, 1, () => Date.now());
    const received: string[] = [];
    let requests = 0;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (!new Headers(init?.headers).get("x-amz-target")?.endsWith(".PutRecords")) return stub.fetch(input, init);
      const request = ++requests;
      const raw = init?.body;
      const body = JSON.parse(raw instanceof Uint8Array ? new TextDecoder().decode(raw) : String(raw)) as { Records: Array<{ Data: string }> };
      if (request === 1) await firstHeld;
      const throttling = request <= 3;
      const entries = body.Records.map((entry, i) => {
        if (throttling && i % 2 === 1) return { ErrorCode: "ProvisionedThroughputExceededException", ErrorMessage: "Rate exceeded for shard" };
        received.push(new TextDecoder().decode(Uint8Array.from(atob(entry.Data), (c) => c.charCodeAt(0))));
        return { SequenceNumber: String(received.length), ShardId: "shardId-000000000000" };
      });
      const failed = entries.filter((e) => "ErrorCode" in e).length;
      return new Response(JSON.stringify({ FailedRecordCount: failed, Records: entries }), { status: 200 });
    };
    const producer = new Producer<{ id: number; text: string }>({ streamName: STREAM, region: "us-east-1", credentials: testCredentials, fetch });

    // ~400 bytes each: 40 items fill a 16 KB slab, so 600 items go through 15 slabs.
    const items = Array.from({ length: 600 }, (_, id) => ({ id, text: `${"ä".repeat(id % 50)}${String(id).repeat(150 / String(id).length)}` }));
    await producer.put(items[0]!, "k");
    // Let the first request leave (and be held) before the rest are encoded.
    while (requests === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    for (const item of items.slice(1)) await producer.put(item, `k${item.id % 7}`);
    releaseFirst();
    await producer.close();

    expect(requests).toBeGreaterThan(3);
    expect(received).toHaveLength(items.length);
    const expected = items.map((item) => JSON.stringify(item));
    expect([...received].sort()).toEqual([...expected].sort());
  });
});
