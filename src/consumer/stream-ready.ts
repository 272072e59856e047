import type { StreamSummary } from "../kinesis/types.ts";
import type { Clock } from "../internal/clock.ts";

/** How often a consumer asks whether a CREATING or UPDATING stream is ACTIVE yet (DescribeStreamSummary allows 20/s per account). */
export const STREAM_STATUS_POLL_MS = 1000;

/** The statuses worth waiting out at start; DELETING is not (the next calls fail with a clear error). */
export type NotActiveStatus = "CREATING" | "UPDATING";

function notActive(status: StreamSummary["streamStatus"]): status is NotActiveStatus {
  return status === "CREATING" || status === "UPDATING";
}

/**
 * Poll until the stream is ACTIVE, starting from `summary`: a consumer started right after
 * CreateStream (or during a reshard) must not take LATEST iterators, or fail, before the stream is
 * ready. `onWaiting` is told once per status seen; `stop` ends the wait (closing the consumer).
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
