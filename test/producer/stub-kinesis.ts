import { partitionKeyHash } from "../../src/aggregation/md5.ts";

const MAX_HASH_KEY = (1n << 128n) - 1n;

/** One PutRecords request as the stub saw it. */
export interface SeenPut {
  records: number;
  /** The injected clock's time when the request arrived. */
  at: number;
}

export interface StubKinesis {
  fetch: typeof fetch;
  /** Every PutRecords request, in arrival order. */
  readonly puts: readonly SeenPut[];
}

/**
 * An in-process Kinesis for producer tests that count requests: a stream of `shards` even shards
 * that stores every PutRecords entry (answering the shard Kinesis would pick), and nothing else. No
 * sockets, so a producer on a manual clock runs as fast as the test drives it.
 */
export function stubKinesis(streamName: string, shards: number, now: () => number): StubKinesis {
  const width = (MAX_HASH_KEY + 1n) / BigInt(shards);
  const shardIds = Array.from({ length: shards }, (_, i) => `shardId-${String(i).padStart(12, "0")}`);
  const listing = {
    Shards: shardIds.map((ShardId, i) => ({
      ShardId,
      HashKeyRange: { StartingHashKey: String(width * BigInt(i)), EndingHashKey: String(i === shards - 1 ? MAX_HASH_KEY : width * BigInt(i + 1) - 1n) },
      SequenceNumberRange: { StartingSequenceNumber: "1" },
    })),
  };
  const summary = {
    StreamDescriptionSummary: {
      StreamName: streamName,
      StreamARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${streamName}`,
      StreamStatus: "ACTIVE",
      OpenShardCount: shards,
    },
  };
  const puts: SeenPut[] = [];
  let sequence = 0;
  const stub: typeof fetch = async (_input, init) => {
    const target = new Headers(init?.headers).get("x-amz-target") ?? "";
    const operation = target.slice(target.lastIndexOf(".") + 1);
    let body: unknown;
    if (operation === "DescribeStreamSummary") body = summary;
    else if (operation === "ListShards") body = listing;
    else if (operation === "PutRecords") {
      const raw = init?.body;
      const request = JSON.parse(raw instanceof Uint8Array ? new TextDecoder().decode(raw) : String(raw)) as {
        Records: Array<{ PartitionKey: string; ExplicitHashKey?: string }>;
      };
      puts.push({ records: request.Records.length, at: now() });
      body = {
        FailedRecordCount: 0,
        Records: request.Records.map((entry) => {
          const hash = entry.ExplicitHashKey === undefined ? partitionKeyHash(entry.PartitionKey) : BigInt(entry.ExplicitHashKey);
          const index = Math.min(shards - 1, Number(hash / width));
          return { SequenceNumber: String(++sequence), ShardId: shardIds[index] };
        }),
      };
    } else {
      return new Response(JSON.stringify({ __type: "UnknownOperationException", message: operation }), { status: 400 });
    }
    return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/x-amz-json-1.1" } });
  };
  return { fetch: stub, puts };
}
