import { describe, expect, it } from "vitest";
import { CallPace, WINDOW_CALLS } from "../../src/consumer/call-pace.ts";

/** The most times (ascending) inside any half-open window of `windowMs`. */
function mostInAnyWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  let from = 0;
  for (let to = 0; to < times.length; to++) {
    while (times[to]! - times[from]! >= windowMs) from++;
    most = Math.max(most, to - from + 1);
  }
  return most;
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("CallPace", () => {
  it("starts calls one interval apart, start to start, when each call is quick", () => {
    const pace = new CallPace(200);
    const starts: number[] = [];
    let now = 0;
    for (let call = 0; call < 10; call++) {
      now = Math.max(now, pace.nextAt);
      starts.push(now);
      pace.started(now);
      pace.ended(now + 1);
    }
    expect(starts).toEqual([0, 200, 400, 600, 800, 1001, 1201, 1401, 1601, 1801]);
  });

  it("a slow call stretches the pace by a fifth of its duration, not all of it", () => {
    const pace = new CallPace(200);
    let now = 0;
    const starts: number[] = [];
    for (let call = 0; call < 50; call++) {
      now = Math.max(now, pace.nextAt);
      starts.push(now);
      pace.started(now);
      now += 50;
      pace.ended(now);
    }
    // From the end of a call (the previous rule) the interval would be 250 ms; here it is 210.
    const gaps = starts.slice(10).map((at, i) => at - starts[9 + i]!);
    expect(gaps.reduce((a, b) => a + b, 0) / gaps.length).toBeCloseTo(200 + 50 / WINDOW_CALLS, 5);
  });

  it("never lets the service see more than 5 calls in any second, whatever the calls and their retries take", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const random = seeded(seed);
      const pace = new CallPace(200);
      const arrivals: number[] = [];
      let now = 0;
      for (let call = 0; call < 400; call++) {
        // The loop may come late (a busy event loop, a full queue).
        now = Math.max(now, pace.nextAt) + (random() < 0.2 ? random() * 300 : 0);
        pace.started(now);
        // One to three attempts (the client's retries), each arriving somewhere between its start and end.
        const attempts = random() < 0.1 ? 1 + Math.floor(random() * 3) : 1;
        for (let attempt = 0; attempt < attempts; attempt++) {
          if (attempt > 0) now += pace.retryDelayMs + random() * 500;
          const duration = random() < 0.1 ? random() * 400 : random() * 30;
          arrivals.push(now + random() * duration);
          now += duration;
        }
        pace.ended(now);
      }
      arrivals.sort((a, b) => a - b);
      expect(mostInAnyWindow(arrivals, 1000), `seed ${seed}`).toBeLessThanOrEqual(5);
    }
  });

  it("a call that starts late is made up by the next, which still comes at least half an interval later", () => {
    const pace = new CallPace(200);
    const starts: number[] = [];
    let now = 0;
    for (let call = 0; call < 6; call++) {
      // The third call's timer fires 60 ms late, the fifth's 150 ms late.
      now = Math.max(now, pace.nextAt) + (call === 2 ? 60 : call === 4 ? 150 : 0);
      starts.push(now);
      pace.started(now);
      pace.ended(now + 1);
    }
    expect(starts).toEqual([0, 200, 460, 600, 950, 1050]);
  });

  it("an idle sleep longer than the interval holds the next call back by the difference", () => {
    const pace = new CallPace(200);
    pace.started(0);
    pace.ended(10);
    pace.delay(800);
    expect(pace.nextAt).toBe(1000);
  });
});
