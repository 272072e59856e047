import { ConfigError } from "../errors.ts";

/** Every aggregator's size limit: a positive integer number of bytes. */
export function checkMaxBytes(maxBytes: number): number {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new ConfigError("maxBytes", `must be a positive integer number of bytes, got ${String(maxBytes)}`);
  }
  return maxBytes;
}
