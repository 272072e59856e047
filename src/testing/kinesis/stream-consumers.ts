import { FakeAwsError, invalid, type Json, stringField } from "../wire.ts";
import type { StreamState } from "./stream-state.ts";

/** AWS: at most 20 registered consumers per stream. */
const MAX_CONSUMERS_PER_STREAM = 20;

/** A registered enhanced fan-out consumer; ACTIVE from the moment it is registered, like the fake's streams. */
export interface FakeStreamConsumer {
  name: string;
  arn: string;
  stream: StreamState;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Its open subscriptions, ended when it is deregistered. */
  subscriptions: Set<{ end(): void }>;
}

/**
 * RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers and DeregisterStreamConsumer.
 * A consumer belongs to one incarnation of its stream: `live` says whether that stream still exists,
 * so a deleted stream's consumers are gone with it.
 */
export class StreamConsumerRegistry {
  readonly #byArn = new Map<string, FakeStreamConsumer>();

  constructor(
    readonly streamOf: (body: Json) => StreamState,
    readonly live: (stream: StreamState) => boolean,
  ) {}

  register(body: Json, now: number): Json {
    const stream = this.streamOf(body);
    const name = stringField(body, "ConsumerName", true);
    if (!/^[a-zA-Z0-9_.-]{1,128}$/.test(name)) throw invalid(`ConsumerName ${JSON.stringify(name)} must be 1 to 128 letters, digits, '_', '.' or '-'`);
    const existing = this.#ofStream(stream);
    if (existing.some((c) => c.name === name)) {
      throw new FakeAwsError("ResourceInUseException", `Consumer ${name} under stream ${stream.arn} already exists.`);
    }
    if (existing.length >= MAX_CONSUMERS_PER_STREAM) {
      throw new FakeAwsError("LimitExceededException", `Stream ${stream.arn} already has ${MAX_CONSUMERS_PER_STREAM} registered consumers.`);
    }
    const consumer: FakeStreamConsumer = {
      name,
      arn: `${stream.arn}/consumer/${name}:${Math.floor(now / 1000)}`,
      stream,
      createdAt: now,
      subscriptions: new Set(),
    };
    this.#byArn.set(consumer.arn, consumer);
    return { Consumer: wireConsumer(consumer) };
  }

  describe(body: Json): Json {
    const consumer = this.find(body);
    return { ConsumerDescription: { ...wireConsumer(consumer), StreamARN: consumer.stream.arn } };
  }

  /** Every consumer of the stream in one page (the fake never pages them: there are at most 20). */
  list(body: Json): Json {
    return { Consumers: this.#ofStream(this.streamOf(body)).map(wireConsumer) };
  }

  /** Gone at once (no DELETING phase); its subscriptions end. */
  deregister(body: Json): Json {
    const consumer = this.find(body);
    this.#byArn.delete(consumer.arn);
    for (const subscription of [...consumer.subscriptions]) subscription.end();
    return {};
  }

  /** The consumer a request names, by `ConsumerARN` or by `StreamARN` and `ConsumerName`. */
  find(body: Json): FakeStreamConsumer {
    const arn = stringField(body, "ConsumerARN");
    let consumer: FakeStreamConsumer | undefined;
    if (arn !== undefined) {
      consumer = this.#byArn.get(arn);
    } else {
      const name = stringField(body, "ConsumerName");
      if (name === undefined || body["StreamARN"] == null) throw invalid("ConsumerARN, or StreamARN and ConsumerName, are required");
      consumer = this.#ofStream(this.streamOf(body)).find((c) => c.name === name);
    }
    if (consumer === undefined || !this.live(consumer.stream)) {
      throw new FakeAwsError("ResourceNotFoundException", `Consumer ${arn ?? stringField(body, "ConsumerName") ?? ""} not found.`);
    }
    return consumer;
  }

  /** The stream was deleted: its consumers go with it, and their subscriptions end. */
  forget(stream: StreamState): void {
    for (const consumer of this.#ofStream(stream)) {
      this.#byArn.delete(consumer.arn);
      for (const subscription of [...consumer.subscriptions]) subscription.end();
    }
  }

  /** How many consumers the stream has (DescribeStreamSummary's ConsumerCount). */
  count(stream: StreamState): number {
    return this.#ofStream(stream).length;
  }

  #ofStream(stream: StreamState): FakeStreamConsumer[] {
    return [...this.#byArn.values()].filter((c) => c.stream === stream);
  }
}

function wireConsumer(consumer: FakeStreamConsumer): Json {
  return {
    ConsumerName: consumer.name,
    ConsumerARN: consumer.arn,
    ConsumerStatus: "ACTIVE",
    ConsumerCreationTimestamp: consumer.createdAt / 1000,
  };
}
