/**
 * `async-kinesis`: consume a Kinesis stream with `for await` (Consumer), write to it with batching
 * (Producer), and coordinate a fleet through leases and checkpoints (the CheckPointer classes).
 * The signed Kinesis and DynamoDB clients on their own are in `async-kinesis/aws`.
 *
 * @module
 */
export * from "./errors.ts";
export type { ClientOptions } from "./aws/client-options.ts";
export type { Credentials, CredentialsOption, CredentialsProvider } from "./aws/credentials.ts";
export type { Clock } from "./internal/clock.ts";
export * from "./processors/index.ts";
export { Consumer } from "./consumer/consumer.ts";
export type { ConsumerIteratorType, ConsumerOptions, DecodeErrorPolicy, KplHashRangeCheck } from "./consumer/options.ts";
export type { FanOutOptions } from "./consumer/fan-out-options.ts";
export type { WaitOptions } from "./config/validate.ts";
export type { ConsumerRecord } from "./consumer/entries.ts";
export type { StepEndReason, StopAfter } from "./consumer/step-budget.ts";
export type { ConsumerEvent, ConsumerEventBody, ConsumerStats, EventStream, LeaseLossReason, ShardStats, StreamStats } from "./consumer/events.ts";
export type { StreamDiscovery } from "./consumer/stream-list.ts";
export { MemoryCheckPointer, type MemoryCheckPointerOptions } from "./checkpointers/memory.ts";
export type { AllocationContext, CheckPointer, CheckpointScope, CheckpointSession, Lease, ShardCheckpoint } from "./checkpointers/types.ts";
export type { DynamoDBCheckPointerEvent, GroupListingMode } from "./checkpointers/dynamodb/group-listing.ts";
export { Producer, type PutOptions } from "./producer/producer.ts";
export type { FlushStats, ProducerOptions } from "./producer/options.ts";
export type { ProducerStats } from "./producer/metrics.ts";
export { type MetricsSource, OPENMETRICS_CONTENT_TYPE, type PrometheusOptions, toPrometheus } from "./metrics/prometheus.ts";
export { type CheckpointListing, DynamoDBCheckPointer, type DynamoDBCheckPointerOptions } from "./checkpointers/dynamodb/store.ts";
export {
  type CallClient,
  RedisCheckPointer,
  type RedisCheckPointerOptions,
  type RedisClientLike,
  type SendCommandClient,
} from "./checkpointers/redis/store.ts";
export {
  DurableObjectCheckPointer,
  type DurableObjectCheckPointerOptions,
  type DurableObjectStorageLike,
  type DurableObjectTransactionLike,
} from "./checkpointers/durable-object/store.ts";
export { type DenoKvAtomicLike, DenoKvCheckPointer, type DenoKvCheckPointerOptions, type DenoKvLike, type KvKeyLike } from "./checkpointers/deno-kv/store.ts";
export type { KvKeyPartLike } from "./checkpointers/deno-kv/kv.ts";
