import * as v from "valibot";

/**
 * `fanOut` of `new Consumer()`: read with enhanced fan-out (SubscribeToShard) instead of polling
 * GetRecords. The stream consumer named `consumerName` is registered on first use, or reused when it
 * exists; every worker of one application uses the same name. See docs/fan-out.md for the price and
 * the deregistration this library never does for you.
 */
export interface FanOutOptions {
  /** The registered stream consumer's name (1–128 characters: letters, digits, `_`, `.`, `-`). At most 20 per stream. */
  consumerName: string;
  /**
   * The transport for SubscribeToShard: a `fetch` that speaks HTTP/2 and streams the answer's body.
   * Default: `node:http2` in the Node build (Bun's own `node:http2` on Bun), the runtime's `fetch` on
   * Deno. EFO is unavailable on workerd. When the consumer's `fetch` is the in-memory one of
   * `async-kinesis/testing`, subscriptions go through it (any runtime, no HTTP/2).
   */
  fetch?: typeof fetch | undefined;
  /** Seconds to wait for a newly registered consumer to become ACTIVE (default 120). */
  registrationTimeout?: number | undefined;
  /** Seconds without any bytes on a subscription before it is dropped and renewed (default 60; AWS sends an event at least every 5 s). */
  idleTimeout?: number | undefined;
}

export const fanOutSchema = v.object(
  {
    consumerName: v.pipe(
      v.string("fanOut.consumerName must be a string"),
      v.regex(/^[a-zA-Z0-9_.-]{1,128}$/, "fanOut.consumerName must be 1 to 128 letters, digits, '_', '.' or '-'"),
    ),
    fetch: v.optional(v.custom<typeof fetch>((value) => typeof value === "function", "fanOut.fetch must be a fetch function")),
    registrationTimeout: v.optional(
      v.pipe(v.number("fanOut.registrationTimeout must be a number of seconds"), v.gtValue(0, "fanOut.registrationTimeout must be > 0")),
    ),
    idleTimeout: v.optional(v.pipe(v.number("fanOut.idleTimeout must be a number of seconds"), v.gtValue(0, "fanOut.idleTimeout must be > 0"))),
  },
  "fanOut must be an object with consumerName",
);
