/**
 * A loopback Kinesis stand-in for the client CPU bench, run in its own process so its CPU is not
 * billed to the client. It reads each request to the end and answers from responses built once at
 * start: PutRecords → one success per record sent (500 in the CPU rows; a producer that sends a
 * short request, e.g. when idle, gets as many entries as it sent), GetRecords → 10,000 records of
 * 100 bytes (the same records each time, under sequence numbers later than the last page's). Prints
 * `{"port":N}` on stdout when listening.
 *
 * With `--payload=json` the GetRecords records are ~100-byte JSON events instead of random bytes
 * (consumer-decode bench), and DescribeStreamSummary, ListShards and GetShardIterator answer for a
 * one-shard stream, so a whole Consumer can run against the sink.
 */
import { createServer } from "node:http";
import { GET_BATCH, jsonRecordBytes, PUT_BATCH, recordBytes, SINK_SHARD, SINK_STREAM } from "./sink-shape.ts";

/** Stands for the page number in the GetRecords answer's sequence numbers (see `pagedAnswer`). */
const PAGE_MARK = "PPPPPPP";

/** 56 digits, as Kinesis's: a fixed prefix, the page (`PAGE_MARK` until served), the record's index. */
function sequenceNumber(index: number, page = "0000000"): string {
  return "495903382714902566085596925383615710959215" + page + String(index).padStart(7, "0");
}

/**
 * Each GetRecords answer carries later sequence numbers than the one before, as a real shard's pages
 * do (a consumer's checkpoints then move forward, as in production); the page itself is the same.
 */
function pagedAnswer(template: string): () => Buffer {
  const parts = template.split(PAGE_MARK);
  let page = 0;
  const build = (): Buffer => Buffer.from(parts.join(String(++page).padStart(7, "0")));
  // The next page is built after this one is sent, so a client never waits on the sink's building.
  let next = build();
  return () => {
    const answer = next;
    setImmediate(() => (next = build()));
    return answer;
  };
}

function putAnswer(records: number): Buffer {
  const put = {
    FailedRecordCount: 0,
    Records: Array.from({ length: records }, (_, i) => ({ SequenceNumber: sequenceNumber(i), ShardId: "shardId-000000000000" })),
  };
  return Buffer.from(JSON.stringify(put));
}

/** PutRecords answers by record count, each built once. */
const putAnswers = new Map<number, Buffer>();
const PARTITION_KEY = Buffer.from('"PartitionKey"');

/** Records in a PutRecords body: every entry has one PartitionKey member (and record data is base64, so never that text). */
function countRecords(chunks: readonly Buffer[]): number {
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  let count = 0;
  for (let at = body.indexOf(PARTITION_KEY); at !== -1; at = body.indexOf(PARTITION_KEY, at + PARTITION_KEY.length)) count++;
  return count;
}

function cannedResponses(payload: (index: number) => Uint8Array): Record<string, Buffer | (() => Buffer)> {
  const arrival = 1_767_225_600.123;
  const get = {
    Records: Array.from({ length: GET_BATCH }, (_, i) => ({
      SequenceNumber: sequenceNumber(i, PAGE_MARK),
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
    "Kinesis_20131202.PutRecords": putAnswer(PUT_BATCH),
    "Kinesis_20131202.GetRecords": pagedAnswer(JSON.stringify(get)),
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
    const target = String(req.headers["x-amz-target"]);
    const chunks: Buffer[] = [];
    if (target === "Kinesis_20131202.PutRecords") req.on("data", (chunk: Buffer) => chunks.push(chunk));
    else req.resume();
    req.on("end", () => {
      const canned = responses[target];
      let body = typeof canned === "function" ? canned() : canned;
      if (chunks.length > 0) {
        const records = countRecords(chunks);
        if (records !== PUT_BATCH) {
          body = putAnswers.get(records);
          if (body === undefined) putAnswers.set(records, body = putAnswer(records));
        }
      }
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
