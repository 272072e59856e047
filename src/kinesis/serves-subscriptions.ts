/**
 * The mark of a `fetch` that answers SubscribeToShard itself, with no network in between: the
 * in-memory Kinesis of `async-kinesis/testing`. A client whose `fetch` carries it subscribes through
 * that same `fetch` (on every runtime, HTTP/2 or not) instead of the SubscribeToShard transport, so
 * `new Consumer({ fanOut: { consumerName }, ...fake.options })` works as the polling consumer does.
 * A wrapper around such a `fetch` does not carry the mark: pass it as `fanOut.fetch` too.
 */
export const SERVES_SUBSCRIPTIONS: unique symbol = Symbol.for("async-kinesis.servesSubscribeToShard");

/** `fetch` when it carries the mark, else undefined. */
export function subscribingFetch(candidate: typeof fetch | undefined): typeof fetch | undefined {
  return (candidate as { [SERVES_SUBSCRIPTIONS]?: unknown } | undefined)?.[SERVES_SUBSCRIPTIONS] === true ? candidate : undefined;
}
