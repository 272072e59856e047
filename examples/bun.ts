// One bounded step of a Kinesis stream from Bun (`bun run examples/bun.ts`): the same code as on
// Node; `await using` closes the consumer — commit, then release the leases — however the block ends.
//
// Credentials, region and endpoints come from the usual AWS variables (AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL_KINESIS, ...).
import { Consumer, DynamoDBCheckPointer } from "async-kinesis";

const streamName = Bun.env["STREAM_NAME"] ?? "my-stream";
const checkpointer = new DynamoDBCheckPointer({ name: Bun.env["CHECKPOINT_GROUP"] ?? "bun-example" });

{
  await using consumer = new Consumer<unknown>({
    streamName,
    checkpointer,
    idleTimeout: 2,
    stopAfter: { records: Number(Bun.env["STOP_AFTER_RECORDS"] ?? 1000), seconds: 50 },
  });
  for await (const record of consumer.records()) {
    console.log(JSON.stringify({ shardId: record.shardId, sequenceNumber: record.sequenceNumber, data: record.data }));
  }
}
