import {
  type _Record as SdkRecord,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient as SdkKinesisClient,
  PutRecordCommand,
  PutRecordsCommand,
} from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { afterAll, describe, expect, inject, it } from "vitest";
import type { KinesisClient } from "../src/kinesis/client.ts";
import type { KinesisRecord, PutRecordsEntry } from "../src/kinesis/types.ts";
import { createStream, localKinesis, testCredentials } from "./support/clients.ts";
import { seededBytes as bytes } from "./support/bytes.ts";

/**
 * Oracle: the AWS SDK (written by others) and our client must agree on every byte of what goes into
 * and comes out of a stream: data, partition key, sequence number, arrival time.
 */

const ONE_MIB = 1024 * 1024;

function sdkClient(): SdkKinesisClient {
  // The SDK's default Node handler speaks HTTP/2, which kinesalite does not; HTTP/1.1 it is.
  return new SdkKinesisClient({
    region: "us-east-1",
    endpoint: inject("kinesisEndpoint"),
    credentials: testCredentials,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });
}

function fixtures(): PutRecordsEntry[] {
  const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
  const bigKey = "большой-ключ";
  return [
    { data: everyByte, partitionKey: "binary" },
    { data: new TextEncoder().encode('{"emoji":"😀","cjk":"漢字"}'), partitionKey: "ключ" },
    { data: new Uint8Array([0]), partitionKey: "キー🔑" },
    { data: new Uint8Array([0xef, 0xbb, 0xbf, 0xff, 0xfe, 0x00, 0x0a]), partitionKey: "é\u0301 combining" },
    // Exactly 1 MiB as the service counts it: data plus the UTF-8 bytes of the partition key.
    { data: bytes(ONE_MIB - new TextEncoder().encode(bigKey).length, 42), partitionKey: bigKey },
  ];
}

/** Read a shard from TRIM_HORIZON until `count` records arrived, with our client. */
async function readOurs(kinesis: KinesisClient, stream: string, shardId: string, count: number): Promise<KinesisRecord[]> {
  let iterator: string | undefined = await kinesis.getShardIterator(stream, shardId, "TRIM_HORIZON");
  const records: KinesisRecord[] = [];
  for (let page = 0; page < 50 && records.length < count && iterator !== undefined; page++) {
    const result = await kinesis.getRecords(iterator);
    records.push(...result.records);
    iterator = result.nextShardIterator;
  }
  return records;
}

/** The same, with the SDK. */
async function readSdk(sdk: SdkKinesisClient, stream: string, shardId: string, count: number): Promise<SdkRecord[]> {
  const start = await sdk.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }));
  let iterator = start.ShardIterator;
  const records: SdkRecord[] = [];
  for (let page = 0; page < 50 && records.length < count && iterator !== undefined; page++) {
    const result = await sdk.send(new GetRecordsCommand({ ShardIterator: iterator }));
    records.push(...(result.Records ?? []));
    iterator = result.NextShardIterator;
  }
  return records;
}

/** Our record and the SDK's view of the same record must agree in every field. */
function expectSameRecord(ours: KinesisRecord, theirs: SdkRecord): void {
  expect(ours.partitionKey).toBe(theirs.PartitionKey);
  expect(ours.sequenceNumber).toBe(theirs.SequenceNumber);
  expect(ours.approximateArrivalTimestamp.getTime()).toBe(theirs.ApproximateArrivalTimestamp?.getTime());
  expect(ours.data.length).toBe(theirs.Data?.length);
  // Compare as Buffers: vitest's diff of a 1 MiB Uint8Array is slow and unreadable.
  expect(Buffer.from(ours.data).equals(Buffer.from(theirs.Data ?? new Uint8Array()))).toBe(true);
}

describe("Kinesis interoperability with @aws-sdk/client-kinesis (kinesalite)", () => {
  const kinesis = localKinesis();
  const sdk = sdkClient();
  afterAll(() => sdk.destroy());

  it("reads back byte for byte what the SDK put (PutRecord and PutRecords)", async () => {
    const stream = await createStream(kinesis, 1, "oracle-sdk-put");
    const entries = fixtures();
    const [first, ...rest] = entries;
    const single = await sdk.send(new PutRecordCommand({ StreamName: stream, Data: first!.data, PartitionKey: first!.partitionKey }));
    const batch = await sdk.send(
      new PutRecordsCommand({ StreamName: stream, Records: rest.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey })) }),
    );
    expect(batch.FailedRecordCount ?? 0).toBe(0);
    const putSequences = [single.SequenceNumber, ...(batch.Records ?? []).map((r) => r.SequenceNumber)];

    const ours = await readOurs(kinesis, stream, single.ShardId!, entries.length);
    const theirs = await readSdk(sdk, stream, single.ShardId!, entries.length);
    expect(ours).toHaveLength(entries.length);
    expect(theirs).toHaveLength(entries.length);
    for (let i = 0; i < entries.length; i++) {
      expectSameRecord(ours[i]!, theirs[i]!);
      expect(ours[i]!.sequenceNumber).toBe(putSequences[i]);
      expect(ours[i]!.partitionKey).toBe(entries[i]!.partitionKey);
      expect(Buffer.from(ours[i]!.data).equals(Buffer.from(entries[i]!.data))).toBe(true);
    }
    expect(ours[4]!.data.length + new TextEncoder().encode(ours[4]!.partitionKey).length).toBe(ONE_MIB);
  });

  it("the SDK reads back byte for byte what our client put (putRecords and putRecord)", async () => {
    const stream = await createStream(kinesis, 1, "oracle-our-put");
    const entries = fixtures();
    const batch = await kinesis.putRecords(stream, entries.slice(0, 4));
    expect(batch.failedRecordCount).toBe(0);
    const single = await kinesis.putRecord(stream, entries[4]!);
    const putSequences = [...batch.records.map((r) => r.sequenceNumber), single.sequenceNumber];

    const theirs = await readSdk(sdk, stream, single.shardId, entries.length);
    const ours = await readOurs(kinesis, stream, single.shardId, entries.length);
    expect(theirs).toHaveLength(entries.length);
    for (let i = 0; i < entries.length; i++) {
      expect(theirs[i]!.SequenceNumber).toBe(putSequences[i]);
      expect(theirs[i]!.PartitionKey).toBe(entries[i]!.partitionKey);
      expect(Buffer.from(theirs[i]!.Data!).equals(Buffer.from(entries[i]!.data))).toBe(true);
      expectSameRecord(ours[i]!, theirs[i]!);
    }
  });

  it("routes an SDK-put explicit hash key to the shard both clients read it from, and AFTER_SEQUENCE_NUMBER agrees", async () => {
    const stream = await createStream(kinesis, 2, "oracle-ehk");
    const shards = await kinesis.listShards(stream);
    const upper = shards[1]!;
    const put = await sdk.send(
      new PutRecordCommand({
        StreamName: stream,
        Data: new Uint8Array([1, 2, 3]),
        PartitionKey: "ignored-for-routing",
        ExplicitHashKey: upper.hashKeyRange.startingHashKey,
      }),
    );
    expect(put.ShardId).toBe(upper.shardId);
    const ourPut = await kinesis.putRecord(stream, {
      data: new Uint8Array([4, 5, 6]),
      partitionKey: "also-ignored",
      explicitHashKey: upper.hashKeyRange.endingHashKey,
    });
    expect(ourPut.shardId).toBe(upper.shardId);

    // Start after the SDK's sequence number with our client: only our record follows.
    const after = await kinesis.getShardIterator(stream, upper.shardId, "AFTER_SEQUENCE_NUMBER", { sequenceNumber: put.SequenceNumber! });
    const page = await kinesis.getRecords(after);
    expect(page.records.map((r) => [...r.data])).toEqual([[4, 5, 6]]);
    expect(page.records[0]!.sequenceNumber).toBe(ourPut.sequenceNumber);

    // And an SDK iterator at our sequence number, read by the SDK.
    const at = await sdk.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: upper.shardId,
        ShardIteratorType: "AT_SEQUENCE_NUMBER",
        StartingSequenceNumber: ourPut.sequenceNumber,
      }),
    );
    const theirPage = await sdk.send(new GetRecordsCommand({ ShardIterator: at.ShardIterator! }));
    expect(theirPage.Records?.map((r) => r.SequenceNumber)).toEqual([ourPut.sequenceNumber]);
  });
});
