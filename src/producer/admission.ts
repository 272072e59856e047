/**
 * Back-pressure for `put`: at most `capacity` items accepted and not yet settled. Callers beyond that
 * wait in arrival order (a newcomer never overtakes a waiter), and nothing is ever dropped.
 */
export class Admission {
  readonly capacity: number;
  #used = 0;
  #waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get used(): number {
    return this.#used;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Take a slot now if one is free and nobody is waiting for it; false means call `acquire`. */
  tryAcquire(): boolean {
    if (this.#waiters.length > 0 || this.#used >= this.capacity) return false;
    this.#used++;
    return true;
  }

  /** Wait for a slot; the slot is held when this resolves. */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  release(count: number): void {
    this.#used -= count;
    while (this.#waiters.length > 0 && this.#used < this.capacity) {
      this.#used++;
      this.#waiters.shift()!.resolve();
    }
  }

  /** Fail every waiter (the producer failed or was aborted). */
  rejectAll(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
