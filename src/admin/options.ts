import type { Clock } from "../internal/clock.ts";

/** What every checkpoint administration call accepts. */
export interface AdminCallOptions {
  /** Wall time source (tests). */
  clock?: Clock | undefined;
  /** Abandons the call. */
  signal?: AbortSignal | undefined;
}

/** What every checkpoint administration call that writes accepts. */
export interface AdminWriteOptions extends AdminCallOptions {
  /** Work out and return the changes, write nothing. */
  dryRun?: boolean | undefined;
}

/** What the calls that write into a store of their own choosing (`to`) accept. */
export interface AdminCopyOptions extends AdminWriteOptions {
  /** Create a DynamoDB target table if it does not exist, as `DynamoDBCheckPointer` would (default true). */
  createTable?: boolean | undefined;
}
