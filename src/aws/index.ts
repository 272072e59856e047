/**
 * `async-kinesis/aws`: the signed Kinesis and DynamoDB clients on their own, for code that wants to
 * call the services directly (admin scripts, tests, tools) without a Consumer or Producer. Requests
 * are SigV4-signed over `fetch`; no AWS SDK. The errors they throw are the classes exported from
 * `async-kinesis` (one definition each, so `instanceof` holds across both entry points).
 *
 * @module
 */
export type { ClientOptions } from "./client-options.ts";
export type { Credentials, CredentialsOption, CredentialsProvider } from "./credentials.ts";
export type { AttemptObserver, CallOptions, ClientHooks } from "./json-client.ts";
export type { BackoffPolicy } from "../internal/backoff.ts";
export { KinesisClient } from "../kinesis/client.ts";
export {
  deregisterStreamConsumer,
  describeStreamConsumer,
  listStreamConsumers,
  registerStreamConsumer,
  type StreamConsumer,
  type StreamConsumerRef,
} from "../kinesis/stream-consumers.ts";
export type * from "../kinesis/types.ts";
export { type ConditionalWrite, DynamoDBClient, type QueryInput, type ScanInput, type TableDescription, type TableStatus } from "../dynamodb/client.ts";
export { type AttributeValue, type Item, marshallItem, marshallValue, type NativeValue, unmarshallItem, unmarshallValue } from "../dynamodb/marshal.ts";
