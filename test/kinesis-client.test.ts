import { describe, expect, it } from "vitest";
import { decodeUtf8 as utf8Decode, encodeUtf8 as utf8Encode } from "../src/internal/utf8.ts";
import { AwsServiceError } from "../src/errors.ts";
import { createStream, localKinesis } from "./support/clients.ts";

describe("KinesisClient against kinesalite", () => {
  const kinesis = localKinesis();

  it("creates a stream, lists its shards and describes it", async () => {
    const name = await createStream(kinesis, 3);
    const shards = await kinesis.listShards(name);
    expect(shards.map((s) => s.shardId)).toEqual(["shardId-000000000000", "shardId-000000000001", "shardId-000000000002"]);
    const summary = await kinesis.describeStreamSummary(name);
    expect(summary).toMatchObject({ streamName: name, streamStatus: "ACTIVE", openShardCount: 3, maxRecordSizeKiB: 1024 });
    expect(summary.streamArn).toMatch(/^arn:aws:kinesis:/);
  });

  it("puts records and reads them back with metadata", async () => {
    const name = await createStream(kinesis, 1);
    const put = await kinesis.putRecords(name, [
      { data: utf8Encode("one"), partitionKey: "a" },
      { data: new Uint8Array([0, 255, 128]), partitionKey: "ключ" },
    ]);
    expect(put.failedRecordCount).toBe(0);
    const single = await kinesis.putRecord(name, { data: utf8Encode("three"), partitionKey: "c" });
    expect(single.shardId).toBe("shardId-000000000000");
    const iterator = await kinesis.getShardIterator(name, "shardId-000000000000", "TRIM_HORIZON");
    const page = await kinesis.getRecords(iterator, 100);
    expect(page.records.map((r) => r.partitionKey)).toEqual(["a", "ключ", "c"]);
    expect(utf8Decode(page.records[0]!.data)).toBe("one");
    expect([...page.records[1]!.data]).toEqual([0, 255, 128]);
    expect(page.records[2]!.sequenceNumber).toBe(single.sequenceNumber);
    expect(page.records[0]!.approximateArrivalTimestamp.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(page.nextShardIterator).toBeTypeOf("string");
  });

  it("reads AFTER_SEQUENCE_NUMBER strictly after the given record", async () => {
    const name = await createStream(kinesis, 1);
    const put = await kinesis.putRecords(name, ["x", "y", "z"].map((s) => ({ data: utf8Encode(s), partitionKey: s })));
    const after = await kinesis.getShardIterator(name, "shardId-000000000000", "AFTER_SEQUENCE_NUMBER", {
      sequenceNumber: put.records[0]!.sequenceNumber!,
    });
    const page = await kinesis.getRecords(after);
    expect(page.records.map((r) => utf8Decode(r.data))).toEqual(["y", "z"]);
  });

  it("reports a missing stream as a fatal, typed AwsServiceError", async () => {
    const error = await kinesis.describeStreamSummary("no-such-stream").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ awsCode: "ResourceNotFoundException", httpStatus: 400, retryable: false, throttling: false, attempts: 1 });
  });

  it("splits and merges shards with correct parent links", async () => {
    const name = await createStream(kinesis, 1);
    const [only] = await kinesis.listShards(name);
    const middle = ((BigInt(only!.hashKeyRange.endingHashKey) + 1n) / 2n).toString();
    await kinesis.splitShard(name, only!.shardId, middle);
    await kinesis.waitForActive(name, { pollInterval: 0.05 });
    const afterSplit = await kinesis.listShards(name);
    const children = afterSplit.filter((s) => s.parentShardId === only!.shardId);
    expect(children).toHaveLength(2);
    expect(afterSplit.find((s) => s.shardId === only!.shardId)?.sequenceNumberRange.endingSequenceNumber).toBeDefined();
    await kinesis.mergeShards(name, children[0]!.shardId, children[1]!.shardId);
    await kinesis.waitForActive(name, { pollInterval: 0.05 });
    const merged = (await kinesis.listShards(name)).find((s) => s.adjacentParentShardId !== undefined);
    expect(merged).toMatchObject({ parentShardId: children[0]!.shardId, adjacentParentShardId: children[1]!.shardId });
  });
});
