import { describe, expect, it } from "vitest";
import { WakeTimer } from "../../src/producer/wake-timer.ts";
import { ManualClock } from "../../src/testing/manual-clock.ts";

/** A manual clock that counts the sleeps asked of it: each is a timer the producer made. */
class CountingClock extends ManualClock {
  sleeps = 0;

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps++;
    return super.sleep(ms, signal);
  }
}

describe("WakeTimer", () => {
  it("a wake-up a fraction of a millisecond earlier than the pending one keeps the pending timer", async () => {
    const clock = new CountingClock(0);
    let wakes = 0;
    const timer = new WakeTimer(clock, () => wakes++);
    // The same budget moment worked out twice from a fractional clock: 0.5 ms apart.
    timer.set(500.7, 0.3);
    timer.set(500.2, 0.4);
    expect(clock.sleeps).toBe(1);
    expect(timer.at).toBe(500.7);

    await clock.advance(501);
    expect(wakes).toBe(1);
    expect(clock.pendingSleeps).toBe(0);
  });

  it("a wake-up a millisecond or more earlier than the pending one replaces it", async () => {
    const clock = new CountingClock(0);
    const woken: number[] = [];
    const timer = new WakeTimer(clock, () => woken.push(clock.now()));
    timer.set(500, 0);
    timer.set(499, 0);
    expect(clock.sleeps).toBe(2);
    expect(timer.at).toBe(499);

    await clock.advance(600);
    // The replaced timer was cancelled: one wake-up, at the earlier time.
    expect(woken).toEqual([499]);
    expect(clock.pendingSleeps).toBe(0);
  });
});
