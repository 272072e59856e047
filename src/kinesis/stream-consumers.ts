import { AwsServiceError, ProtocolError, TimeoutError } from "../errors.ts";
import type { CallOptions } from "../aws/json-client.ts";
import type { KinesisClient } from "./client.ts";

/** An enhanced fan-out consumer registered on a stream (RegisterStreamConsumer). */
export interface StreamConsumer {
  /** The name it was registered under, unique within its stream. */
  consumerName: string;
  /** What SubscribeToShard and DeregisterStreamConsumer take. */
  consumerArn: string;
  /** Only an `ACTIVE` consumer can subscribe. */
  status: "CREATING" | "DELETING" | "ACTIVE";
  /** When it was registered (`ConsumerCreationTimestamp`); absent when the service does not say. */
  createdAt?: Date;
}

/** A registered consumer is named by its ARN, or by its stream's ARN and its name. */
export type StreamConsumerRef = { consumerArn: string } | { streamArn: string; consumerName: string };

interface WireConsumer {
  ConsumerName: string;
  ConsumerARN: string;
  ConsumerStatus: StreamConsumer["status"];
  ConsumerCreationTimestamp?: number | null;
}

function fromWire(consumer: WireConsumer | null | undefined, operation: string): StreamConsumer {
  if (consumer == null || typeof consumer.ConsumerARN !== "string") throw new ProtocolError(`${operation} returned no consumer`);
  const out: StreamConsumer = { consumerName: consumer.ConsumerName, consumerArn: consumer.ConsumerARN, status: consumer.ConsumerStatus };
  if (consumer.ConsumerCreationTimestamp != null) out.createdAt = new Date(consumer.ConsumerCreationTimestamp * 1000);
  return out;
}

function wireRef(ref: StreamConsumerRef): Record<string, string> {
  return "consumerArn" in ref ? { ConsumerARN: ref.consumerArn } : { StreamARN: ref.streamArn, ConsumerName: ref.consumerName };
}

/** Register `consumerName` on the stream; it starts `CREATING` (each stream takes at most 20). */
export async function registerStreamConsumer(kinesis: KinesisClient, streamArn: string, consumerName: string, options?: CallOptions): Promise<StreamConsumer> {
  const out = await kinesis.http.call<{ Consumer?: WireConsumer | null }>(
    "RegisterStreamConsumer",
    { StreamARN: streamArn, ConsumerName: consumerName },
    options,
  );
  return fromWire(out.Consumer, "RegisterStreamConsumer");
}

/** One registered consumer; `ResourceNotFoundException` when there is none by that ARN or name. */
export async function describeStreamConsumer(kinesis: KinesisClient, ref: StreamConsumerRef, options?: CallOptions): Promise<StreamConsumer> {
  const out = await kinesis.http.call<{ ConsumerDescription?: WireConsumer | null }>("DescribeStreamConsumer", wireRef(ref), options);
  return fromWire(out.ConsumerDescription, "DescribeStreamConsumer");
}

/** Every consumer registered on the stream, following `NextToken`. */
export async function listStreamConsumers(kinesis: KinesisClient, streamArn: string, options?: CallOptions): Promise<StreamConsumer[]> {
  const consumers: StreamConsumer[] = [];
  let request: Record<string, unknown> = { StreamARN: streamArn };
  for (;;) {
    const out = await kinesis.http.call<{ Consumers?: WireConsumer[] | null; NextToken?: string | null }>("ListStreamConsumers", request, options);
    const page = out.Consumers ?? [];
    for (const consumer of page) consumers.push(fromWire(consumer, "ListStreamConsumers"));
    // One emulator answers a NextToken even on the last page: an empty page ends the listing too.
    if (out.NextToken == null || out.NextToken === "" || page.length === 0) return consumers;
    request = { StreamARN: streamArn, NextToken: out.NextToken };
  }
}

/**
 * Remove a registered consumer: its subscriptions end and it stops being billed. Registered
 * consumers are never removed by this library (another worker may still use one): see docs/fan-out.md.
 */
export async function deregisterStreamConsumer(kinesis: KinesisClient, ref: StreamConsumerRef, options?: CallOptions): Promise<void> {
  await kinesis.http.call("DeregisterStreamConsumer", wireRef(ref), options);
}

export interface EnsureConsumerOptions extends CallOptions {
  /** Seconds to wait for `ACTIVE` (default 120; registration takes a few seconds on AWS). */
  timeout?: number;
  /** Seconds between DescribeStreamConsumer polls (default 1). */
  pollInterval?: number;
}

/**
 * The consumer named `consumerName` on the stream, `ACTIVE`: registered if missing, reused if it
 * exists (another worker of the same application registered it), waited for while `CREATING`, and
 * registered again after a `DELETING` one is gone.
 */
export async function ensureStreamConsumer(
  kinesis: KinesisClient,
  streamArn: string,
  consumerName: string,
  options: EnsureConsumerOptions = {},
): Promise<StreamConsumer> {
  const clock = kinesis.http.clock;
  const timeoutS = options.timeout ?? 120;
  const deadline = clock.now() + timeoutS * 1000;
  const ref = { streamArn, consumerName };
  let current = await findOrRegister(kinesis, streamArn, consumerName, options);
  for (;;) {
    if (current?.status === "ACTIVE") return current;
    if (clock.now() >= deadline) {
      throw new TimeoutError(`stream consumer ${consumerName} is still ${current?.status ?? "missing"} after ${timeoutS} s`, timeoutS * 1000);
    }
    await clock.sleep((options.pollInterval ?? 1) * 1000, options.signal);
    current = current === undefined ? await findOrRegister(kinesis, streamArn, consumerName, options) : await describeOrMissing(kinesis, ref, options);
  }
}

/** Register, or describe the one that exists; undefined while a deleted one of that name is still going away. */
async function findOrRegister(kinesis: KinesisClient, streamArn: string, consumerName: string, options: CallOptions): Promise<StreamConsumer | undefined> {
  const existing = await describeOrMissing(kinesis, { streamArn, consumerName }, options);
  if (existing?.status === "DELETING") return undefined;
  if (existing !== undefined) return existing;
  try {
    return await registerStreamConsumer(kinesis, streamArn, consumerName, options);
  } catch (error) {
    // Another worker registered it between the two calls.
    if (error instanceof AwsServiceError && error.awsCode === "ResourceInUseException") {
      return await describeOrMissing(kinesis, { streamArn, consumerName }, options);
    }
    throw error;
  }
}

async function describeOrMissing(kinesis: KinesisClient, ref: StreamConsumerRef, options: CallOptions): Promise<StreamConsumer | undefined> {
  try {
    return await describeStreamConsumer(kinesis, ref, options);
  } catch (error) {
    if (error instanceof AwsServiceError && error.awsCode === "ResourceNotFoundException") return undefined;
    throw error;
  }
}
