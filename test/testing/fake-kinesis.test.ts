/** The in-memory Kinesis through the library's own KinesisClient: the wire shapes and behaviours AWS has. */
import { describe, expect, it } from "vitest";
import { AwsServiceError, NetworkError } from "../../src/errors.ts";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { partitionKeyHash } from "../../src/aggregation/md5.ts";
import { createFakeAws, ManualClock } from "../../src/testing/index.ts";

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function setup(shards = 1, clock?: ManualClock) {
  const fake = createFakeAws(clock === undefined ? {} : { clock });
  fake.kinesis.createStream("s", shards);
  const client = new KinesisClient({ ...fake.options, maxAttempts: 1 });
  return { fake, client };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("in-memory Kinesis", () => {
  it("DescribeStreamSummary reports an ACTIVE stream with its creation time in epoch seconds", async () => {
    const clock = new ManualClock(Date.UTC(2025, 5, 1));
    const { client } = setup(3, clock);
    const summary = await client.describeStreamSummary("s");
    expect(summary).toMatchObject({ streamName: "s", streamStatus: "ACTIVE", openShardCount: 3, streamCreatedAt: Date.UTC(2025, 5, 1) });
    expect(summary.streamArn).toBe("arn:aws:kinesis:us-east-1:000000000000:stream/s");
    expect(await client.describeStreamSummary(summary.streamArn)).toMatchObject({ streamName: "s" });
  });

  it("routes a record by the MD5 of its partition key, or by its explicit hash key", async () => {
    const { fake, client } = setup(4);
    const shards = fake.kinesis.shards("s");
    const holder = (hash: bigint) => shards.find((s) => BigInt(s.startingHashKey) <= hash && hash <= BigInt(s.endingHashKey))!.shardId;
    const out = await client.putRecords("s", [
      { data: bytes("a"), partitionKey: "alpha" },
      { data: bytes("b"), partitionKey: "beta" },
      { data: bytes("c"), partitionKey: "alpha", explicitHashKey: shards[3]!.startingHashKey },
    ]);
    expect(out.failedRecordCount).toBe(0);
    expect(out.records.map((r) => r.shardId)).toEqual([holder(partitionKeyHash("alpha")), holder(partitionKeyHash("beta")), shards[3]!.shardId]);
    expect(out.records.every((r) => /^\d+$/.test(r.sequenceNumber!))).toBe(true);
  });

  it("GetRecords returns base64 data and arrival times, pages by Limit, and reads from a sequence number", async () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const { fake, client } = setup(1, clock);
    const put = fake.kinesis.putRecords("s", ["one", "two", "three"].map((data) => ({ data, partitionKey: "k" })));
    const first = await client.getRecords(await client.getShardIterator("s", "shardId-000000000000", "TRIM_HORIZON"), 2);
    expect(first.records.map((r) => new TextDecoder().decode(r.data))).toEqual(["one", "two"]);
    expect(first.records[0]!.approximateArrivalTimestamp.getTime()).toBe(Date.UTC(2025, 0, 1));
    const rest = await client.getRecords(first.nextShardIterator!);
    expect(rest.records.map((r) => r.sequenceNumber)).toEqual([put[2]!.sequenceNumber]);
    expect(rest.nextShardIterator).toBeDefined();
    const after = await client.getShardIterator("s", "shardId-000000000000", "AFTER_SEQUENCE_NUMBER", { sequenceNumber: put[0]!.sequenceNumber });
    expect((await client.getRecords(after)).records.map((r) => r.sequenceNumber)).toEqual([put[1]!.sequenceNumber, put[2]!.sequenceNumber]);
    const latest = await client.getShardIterator("s", "shardId-000000000000", "LATEST");
    expect((await client.getRecords(latest)).records).toEqual([]);
  });

  it("a split closes the parent: its reader gets NextShardIterator null and the children, which list their parent", async () => {
    const { fake, client } = setup(1);
    fake.kinesis.putRecords("s", [{ data: "before", partitionKey: "k" }]);
    const iterator = await client.getShardIterator("s", "shardId-000000000000", "TRIM_HORIZON");
    const [left, right] = fake.kinesis.splitShard("s", "shardId-000000000000");
    const page = await client.getRecords(iterator);
    expect(page.records).toHaveLength(1);
    expect(page.nextShardIterator).toBeUndefined();
    expect(page.childShards?.map((c) => c.shardId)).toEqual([left, right]);
    const shards = await client.listShards("s");
    expect(shards.map((s) => [s.shardId, s.parentShardId, s.sequenceNumberRange.endingSequenceNumber !== undefined])).toEqual([
      ["shardId-000000000000", undefined, true],
      [left, "shardId-000000000000", false],
      [right, "shardId-000000000000", false],
    ]);
    const merged = fake.kinesis.mergeShards("s", left, right);
    expect(fake.kinesis.shards("s").find((s) => s.shardId === merged)).toMatchObject({ parentShardId: left, adjacentParentShardId: right, open: true });
  });

  it("ListShards pages with NextToken and refuses a request naming both the stream and a token", async () => {
    const { fake, client } = setup(5);
    expect((await client.listShards("s", { pageSize: 2 })).map((s) => s.shardId)).toEqual(fake.kinesis.shards("s").map((s) => s.shardId));
    const error = await rejection(client.http.call("ListShards", { StreamName: "s", NextToken: "x" }));
    expect(error).toBeInstanceOf(AwsServiceError);
    expect((error as AwsServiceError).awsCode).toBe("InvalidArgumentException");
  });

  it("an iterator expires after five minutes on the fake's clock, and at once after expireIterators()", async () => {
    const clock = new ManualClock();
    const { fake, client } = setup(1, clock);
    const old = await client.getShardIterator("s", "shardId-000000000000", "TRIM_HORIZON");
    await clock.advance(5 * 60 * 1000 + 1);
    expect(((await rejection(client.getRecords(old))) as AwsServiceError).awsCode).toBe("ExpiredIteratorException");
    const fresh = await client.getShardIterator("s", "shardId-000000000000", "TRIM_HORIZON");
    await client.getRecords(fresh);
    fake.kinesis.expireIterators();
    expect(((await rejection(client.getRecords(fresh))) as AwsServiceError).awsCode).toBe("ExpiredIteratorException");
  });

  it("throttleNext answers HTTP 400 ProvisionedThroughputExceededException, classified as throttling", async () => {
    const { fake, client } = setup(1);
    fake.kinesis.throttleNext("ListShards", 1);
    const error = (await rejection(client.listShards("s"))) as AwsServiceError;
    expect(error).toMatchObject({ awsCode: "ProvisionedThroughputExceededException", httpStatus: 400, throttling: true });
    expect(await client.listShards("s")).toHaveLength(1);
    expect(fake.requests.map((r) => r.status)).toEqual([400, 200]);
  });

  it("failNext injects an AWS error or a network failure", async () => {
    const { fake, client } = setup(1);
    fake.kinesis.failNext("DescribeStreamSummary", { code: "InternalFailure", status: 500 });
    expect(await rejection(client.describeStreamSummary("s"))).toMatchObject({ awsCode: "InternalFailure", httpStatus: 500, retryable: true });
    fake.kinesis.failNext("DescribeStreamSummary", "network");
    expect(await rejection(client.describeStreamSummary("s"))).toBeInstanceOf(NetworkError);
  });

  it("throttleRecordsNext fails single records inside PutRecords, with FailedRecordCount", async () => {
    const { fake, client } = setup(1);
    fake.kinesis.throttleRecordsNext(1);
    const out = await client.putRecords("s", [{ data: bytes("a"), partitionKey: "k" }, { data: bytes("b"), partitionKey: "k" }]);
    expect(out.failedRecordCount).toBe(1);
    expect(out.records[0]).toMatchObject({ errorCode: "ProvisionedThroughputExceededException" });
    expect(out.records[1]!.sequenceNumber).toBeDefined();
    expect(fake.kinesis.records("s").map((r) => new TextDecoder().decode(r.data))).toEqual(["b"]);
  });

  it("answers unknown streams with ResourceNotFoundException and an unsigned request with HTTP 403", async () => {
    const { fake, client } = setup(1);
    expect(await rejection(client.listShards("nope"))).toMatchObject({ awsCode: "ResourceNotFoundException" });
    const unsigned = await fake.fetch("http://fake-aws.invalid/", {
      method: "POST",
      headers: { "x-amz-target": "Kinesis_20131202.ListShards", "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({ StreamName: "s" }),
    });
    expect(unsigned.status).toBe(403);
  });
});

describe("in-memory Kinesis, edges", () => {
  it("ListShards with ShardFilter AT_LATEST lists open shards only, across pages", async () => {
    const { fake, client } = setup(2);
    const [a, b] = fake.kinesis.splitShard("s", "shardId-000000000000");
    const open = await client.listShards("s", { filter: { type: "AT_LATEST" }, pageSize: 1 });
    expect(open.map((s) => s.shardId)).toEqual(["shardId-000000000001", a, b]);
    expect(await client.listShards("s", { pageSize: 1 })).toHaveLength(4);
  });

  it("an iterator of a deleted stream does not read a new stream of the same name", async () => {
    const { fake, client } = setup(1);
    const iterator = await client.getShardIterator("s", "shardId-000000000000", "TRIM_HORIZON");
    fake.kinesis.deleteStream("s");
    fake.kinesis.createStream("s", 1);
    fake.kinesis.putRecords("s", [{ data: "new", partitionKey: "k" }]);
    expect(await rejection(client.getRecords(iterator))).toMatchObject({ awsCode: "ResourceNotFoundException" });
  });

  it("refuses a PutRecords over 5 MiB and a record over 1 MiB, as AWS does", async () => {
    const { client } = setup(1);
    const mib = new Uint8Array(1024 * 1024 - 10);
    const six = Array.from({ length: 6 }, () => ({ data: mib, partitionKey: "k" }));
    expect(await rejection(client.putRecords("s", six))).toMatchObject({ awsCode: "InvalidArgumentException" });
    expect(await rejection(client.putRecords("s", [{ data: new Uint8Array(1024 * 1024), partitionKey: "k" }]))).toMatchObject({
      awsCode: "ValidationException",
    });
  });
});
