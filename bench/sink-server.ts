/**
 * A loopback Kinesis stand-in for the client CPU bench, run in its own process so its CPU is not
 * billed to the client. It reads each request to the end and answers from responses built once at
 * start: PutRecords → 500 successes, GetRecords → 10,000 records of 100 bytes. Prints
 * `{"port":N}` on stdout when listening.
 *
 * With `--payload=json` the GetRecords records are ~100-byte JSON events instead of random bytes
 * (consumer-decode bench), and DescribeStreamSummary, ListShards and GetShardIterator answer for a
 * one-shard stream, so a whole Consumer can run against the sink.
 */
import { createServer } from "node:http";
import { GET_BATCH, jsonRecordBytes, PUT_BATCH, recordBytes, SINK_SHARD, SINK_STREAM } from "./sink-shape.ts";

function sequenceNumber(index: number): string {
  return "4959033827149025660855969253836157109592157598913" + String(index).padStart(7, "0");
}

function cannedResponses(payload: (index: number) => Uint8Array): Record<string, Buffer> {
  const put = {
    FailedRecordCount: 0,
    Records: Array.from({ length: PUT_BATCH }, (_, i) => ({ SequenceNumber: sequenceNumber(i), ShardId: "shardId-000000000000" })),
  };
  const arrival = 1_767_225_600.123;
  const get = {
    Records: Array.from({ length: GET_BATCH }, (_, i) => ({
      SequenceNumber: sequenceNumber(i),
      ApproximateArrivalTimestamp: arrival + i / 1000,
      Data: Buffer.from(payload(i)).toString("base64"),
      PartitionKey: `pk-${i % 1000}`,
    })),
    NextShardIterator: "AAAAAAAAAAH" + "x".repeat(200),
    MillisBehindLatest: 0,
  };
  const summary = {
    StreamDescriptionSummary: {
      StreamName: SINK_STREAM,
      StreamARN: `arn:aws:kinesis:us-east-1:123456789012:stream/${SINK_STREAM}`,
      StreamStatus: "ACTIVE",
      RetentionPeriodHours: 24,
      OpenShardCount: 1,
    },
  };
  const shards = {
    Shards: [
      {
        ShardId: SINK_SHARD,
        HashKeyRange: { StartingHashKey: "0", EndingHashKey: String(2n ** 128n - 1n) },
        SequenceNumberRange: { StartingSequenceNumber: sequenceNumber(0) },
      },
    ],
  };
  return {
    "Kinesis_20131202.PutRecords": Buffer.from(JSON.stringify(put)),
    "Kinesis_20131202.GetRecords": Buffer.from(JSON.stringify(get)),
    "Kinesis_20131202.DescribeStreamSummary": Buffer.from(JSON.stringify(summary)),
    "Kinesis_20131202.ListShards": Buffer.from(JSON.stringify(shards)),
    "Kinesis_20131202.GetShardIterator": Buffer.from(JSON.stringify({ ShardIterator: "bench-iterator" })),
  };
}

function main(): void {
  const json = process.argv.includes("--payload=json");
  const responses = cannedResponses(json ? jsonRecordBytes : recordBytes);
  let requestId = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const body = responses[String(req.headers["x-amz-target"])];
      if (body === undefined) {
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ __type: "UnknownOperationException", message: `sink serves only ${Object.keys(responses).join(", ")}` }));
        return;
      }
      res.writeHead(200, {
        "content-type": "application/x-amz-json-1.1",
        "content-length": body.length,
        "x-amzn-requestid": `sink-${++requestId}`,
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("sink has no port");
    process.stdout.write(JSON.stringify({ port: address.port }) + "\n");
  });
  // The parent closes our stdin when it is done (or dies): exit then, never linger.
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
}

main();
