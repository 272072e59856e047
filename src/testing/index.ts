/**
 * `async-kinesis/testing`: an in-memory Kinesis and DynamoDB exposed as a `fetch` function, a manual
 * clock, and assertion helpers, so an application's code runs against the real Consumer, Producer and
 * DynamoDBCheckPointer in a unit test on Node, Deno, Bun and workerd. See docs/testing.md.
 */
export { createFakeAws, type FakeAws, type FakeAwsOptions, type FakeClientOptions, type FakeRequestLog } from "./fake-aws.ts";
export { ManualClock } from "./manual-clock.ts";
export { assertDeliveredOnce, assertShardOrder, collect, type CollectOptions, type OrderedRecord, type ShardLineage } from "./helpers.ts";
export type { FakeKinesis, FakePutEntry, FakeRecordView, FakeShardView } from "./kinesis/fake-kinesis.ts";
export type { FakeDynamoDB } from "./dynamodb/fake-dynamodb.ts";
export type { FakeFailure } from "./faults.ts";
