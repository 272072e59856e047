/** The top of Kinesis's 128-bit hash key space: shards split [0, MAX_HASH_KEY] between them. */
export const MAX_HASH_KEY = (1n << 128n) - 1n;
