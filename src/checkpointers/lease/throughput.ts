/**
 * A lease's recent throughput: the bytes the consumer delivered from the shard, as an exponentially
 * decayed average over time (time constant `tauMs`, four heartbeats). Kept as two decayed sums —
 * bytes and elapsed time — whose ratio is the rate, so a young meter reports what it saw (no bias
 * toward 0) and a meter seeded with the row's rate carries the shard's load across a handoff instead
 * of starting cold. A decayed average rather than "bytes since the last heartbeat": one burst, a slow
 * handler or a new owner's first partial interval moves it a little, not all the way, so balance does
 * not chase noise. Sampled only when a write goes out (heartbeats, checkpoints): no writes of its own.
 */
export class Throughput {
  readonly #tauMs: number;
  #bytes = 0;
  /** Decayed sums: bytes, and milliseconds (0: nothing seen and no seed). */
  #weightedBytes = 0;
  #weightedMs = 0;
  #since: number;

  /** `seed`: the rate the row carried when this worker took it, if any (bytes per second). */
  constructor(tauMs: number, now: number, seed?: number) {
    this.#tauMs = tauMs;
    this.#since = now;
    if (seed !== undefined && Number.isFinite(seed) && seed >= 0) {
      this.#weightedMs = tauMs;
      this.#weightedBytes = (seed * tauMs) / 1000;
    }
  }

  /** O(1): called for every record handed out. */
  add(bytes: number): void {
    this.#bytes += bytes;
  }

  /** Fold what arrived since the last sample in; the rate in bytes per second (rounded), or undefined when there is none yet. */
  sample(now: number): number | undefined {
    const elapsed = now - this.#since;
    if (elapsed > 0) {
      const decay = Math.exp(-elapsed / this.#tauMs);
      this.#weightedBytes = this.#weightedBytes * decay + this.#bytes;
      this.#weightedMs = this.#weightedMs * decay + elapsed;
      this.#bytes = 0;
      this.#since = now;
    }
    if (this.#weightedMs <= 0) return undefined;
    return Math.round((this.#weightedBytes * 1000) / this.#weightedMs);
  }
}
