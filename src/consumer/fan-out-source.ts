import type { ClientOptions } from "../aws/client-options.ts";
import type { KinesisClient } from "../kinesis/client.ts";
import { ensureStreamConsumer } from "../kinesis/stream-consumers.ts";
import { SubscribeClient } from "../kinesis/subscribe.ts";
import type { FanOutOptions } from "./fan-out-options.ts";

/**
 * A consumer's enhanced fan-out: the SubscribeToShard client and the registered stream consumer's
 * ARN, found (or registered, and waited for until ACTIVE) once and shared by every shard's reader.
 * Made at construction, so an unavailable runtime (workerd, Bun without a transport) is a ConfigError there.
 * Subscriptions are accounted for as the consumer's other Kinesis calls: signed with the consumer's
 * Kinesis client and its credentials (resolved once for both), each attempt told to that client's
 * `onAttempt` (throttles), and each request sent through `countRequests` (a bounded step's budget).
 */
export class FanOutSource {
  readonly client: SubscribeClient;
  readonly consumerName: string;
  readonly #kinesis: KinesisClient;
  readonly #registrationTimeout: number | undefined;
  #consumerArn: Promise<string> | undefined;

  constructor(options: FanOutOptions, clientOptions: ClientOptions, kinesis: KinesisClient, countRequests?: (transport: typeof fetch) => typeof fetch) {
    this.consumerName = options.consumerName;
    this.#kinesis = kinesis;
    this.#registrationTimeout = options.registrationTimeout;
    this.client = new SubscribeClient(
      {
        ...clientOptions,
        ...(options.fetch === undefined ? {} : { subscribeFetch: options.fetch }),
        ...(options.idleTimeout === undefined ? {} : { subscriptionIdleTimeout: options.idleTimeout }),
      },
      "fanOut",
      { signer: kinesis.http, wrapTransport: countRequests },
    );
  }

  /**
   * The consumer's ARN on `stream` (a name or ARN), registering it if needed. A failure is not
   * remembered: the next reader asks again (the readers retry what is retryable).
   */
  consumerArn(stream: string, signal: AbortSignal): Promise<string> {
    const pending = this.#consumerArn ??= this.#register(stream, signal);
    pending.catch(() => {
      if (this.#consumerArn === pending) this.#consumerArn = undefined;
    });
    return pending;
  }

  async #register(stream: string, signal: AbortSignal): Promise<string> {
    const streamArn = stream.startsWith("arn:") ? stream : (await this.#kinesis.describeStreamSummary(stream, { signal })).streamArn;
    const consumer = await ensureStreamConsumer(this.#kinesis, streamArn, this.consumerName, {
      signal,
      ...(this.#registrationTimeout === undefined ? {} : { timeout: this.#registrationTimeout }),
    });
    return consumer.consumerArn;
  }
}
