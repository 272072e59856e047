import { KinesisClient as SdkKinesisClient, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { inject } from "vitest";
import { testCredentials } from "./clients.ts";

/** The AWS SDK as an independent writer (oracle): HTTP/1.1, since the local servers lack HTTP/2. */
export function sdkKinesis(endpoint = inject("kinesisEndpoint")): SdkKinesisClient {
  return new SdkKinesisClient({
    region: "us-east-1",
    endpoint,
    credentials: testCredentials,
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 3,
  });
}

export interface SdkPut {
  data: Uint8Array;
  partitionKey: string;
  sequenceNumber: string;
  shardId: string;
}

/** Put records with the SDK in batches of 500; returns what the service reported for each. */
export async function sdkPutAll(
  client: SdkKinesisClient,
  streamName: string,
  records: ReadonlyArray<{ data: Uint8Array; partitionKey: string; explicitHashKey?: string }>,
): Promise<SdkPut[]> {
  const out: SdkPut[] = [];
  for (let i = 0; i < records.length; i += 500) {
    const batch = records.slice(i, i + 500);
    const result = await client.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: batch.map((r) => ({ Data: r.data, PartitionKey: r.partitionKey, ExplicitHashKey: r.explicitHashKey })),
      }),
    );
    if ((result.FailedRecordCount ?? 0) > 0) throw new Error(`SDK put failed for ${result.FailedRecordCount} records`);
    result.Records!.forEach((r, j) => {
      out.push({ data: batch[j]!.data, partitionKey: batch[j]!.partitionKey, sequenceNumber: r.SequenceNumber!, shardId: r.ShardId! });
    });
  }
  return out;
}
