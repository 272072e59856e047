import type { StreamSummary } from "../kinesis/types.ts";
import type { Clock } from "../internal/clock.ts";

/** How often a consumer asks whether a CREATING stream is ACTIVE yet (DescribeStreamSummary allows 20/s per account). */
export const STREAM_STATUS_POLL_MS = 1000;

/**
 * The status worth waiting out at start: a CREATING stream has no shards to read yet. Not UPDATING:
 * Kinesis serves ListShards, GetShardIterator, GetRecords and PutRecords while a stream reshards or
 * changes its shard count, which takes many minutes on big streams. Not DELETING either: the next
 * calls fail with a clear error.
 */
export type NotActiveStatus = "CREATING";

function notActive(status: StreamSummary["streamStatus"]): status is NotActiveStatus {
  return status === "CREATING";
}

/**
 * Poll until the stream is no longer CREATING, starting from `summary`: a consumer started right after
 * CreateStream must not take LATEST iterators, or fail, before the stream is ready. An UPDATING stream
 * is returned at once (it is read as it reshards: parents to their end, then their children).
 * `onWaiting` is told once, when waiting starts; `stop` ends the wait (closing the consumer).
 */
export async function untilActive(
  summary: StreamSummary,
  describe: () => Promise<StreamSummary>,
  options: { clock: Clock; stop: AbortSignal; onWaiting: (status: NotActiveStatus) => void; pollMs?: number },
): Promise<StreamSummary> {
  let current = summary;
  let reported: NotActiveStatus | undefined;
  while (notActive(current.streamStatus)) {
    if (reported !== current.streamStatus) {
      reported = current.streamStatus;
      options.onWaiting(current.streamStatus);
    }
    await options.clock.sleep(options.pollMs ?? STREAM_STATUS_POLL_MS, options.stop);
    current = await describe();
  }
  return current;
}
