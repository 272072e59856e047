/**
 * The part every store tap shares: while paused, calls wait in order and go on only at `resume()`;
 * a caller that gives up (its signal aborts) is dropped from the queue, as an aborted fetch is.
 * Writes can be failed on purpose, and are counted.
 */
export class CallGate {
  #paused = false;
  #held: Array<() => void> = [];
  #writes = 0;
  #failNext = 0;
  #failed = 0;
  readonly #deliveredLate: Array<readonly string[]> = [];

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const waiting = this.#held;
    this.#held = [];
    for (const release of waiting) release();
  }

  heldCount(): number {
    return this.#held.length;
  }

  /** Wait here while paused; true when the call was held (it reaches the store late). */
  async pass(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) throw signal.reason;
    if (!this.#paused) return false;
    await new Promise<void>((resolve, reject) => {
      const release = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#held = this.#held.filter((h) => h !== release);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#held.push(release);
    });
    return true;
  }

  /** Count a write on its way to the store; true when it must fail instead of arriving. */
  write(): boolean {
    this.#writes++;
    if (this.#failNext <= 0) return false;
    this.#failNext--;
    this.#failed++;
    return true;
  }

  /** A write that was held reached the store; `carried` are its arguments (the sequence among them). */
  arrivedLate(carried: readonly string[]): void {
    this.#deliveredLate.push(carried);
  }

  deliveredLate(sequence: string): boolean {
    return this.#deliveredLate.some((carried) => carried.includes(sequence));
  }

  writes(): number {
    return this.#writes;
  }

  resetCounts(): void {
    this.#writes = 0;
  }

  failWrites(count: number): void {
    this.#failNext = count;
  }

  failed(): number {
    return this.#failed;
  }
}
