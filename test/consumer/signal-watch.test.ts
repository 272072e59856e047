import { describe, expect, it } from "vitest";
import { type ShutdownSignal, type SignalRuntime, SignalWatch } from "../../src/consumer/signals.ts";

/** A runtime whose signals the test sends by hand, recording what the watch did. */
function fakeRuntime() {
  const listeners = new Map<ShutdownSignal, Set<() => void>>();
  const log: string[] = [];
  const runtime: SignalRuntime = {
    listen: (signal, listener) => {
      log.push(`listen ${signal}`);
      if (!listeners.has(signal)) listeners.set(signal, new Set());
      listeners.get(signal)!.add(listener);
    },
    unlisten: (signal, listener) => {
      log.push(`unlisten ${signal}`);
      listeners.get(signal)?.delete(listener);
    },
    reraise: (signal) => log.push(`reraise ${signal} with ${listeners.get(signal)?.size ?? 0} listeners`),
  };
  const send = (signal: ShutdownSignal): void => {
    for (const listener of [...(listeners.get(signal) ?? [])]) listener();
  };
  const count = (): number => [...listeners.values()].reduce((n, set) => n + set.size, 0);
  return { runtime, log, send, count };
}

describe("SignalWatch", () => {
  it("one signal closes every registered consumer, and only then is re-raised with no listener of ours left", async () => {
    const fake = fakeRuntime();
    const watch = new SignalWatch(fake.runtime);
    const closed: string[] = [];
    let finishSlow: () => void = () => undefined;
    watch.register({ onSignal: async () => void closed.push("fast") });
    watch.register({ onSignal: () => new Promise<void>((resolve) => (finishSlow = () => (closed.push("slow"), resolve()))) });
    fake.send("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toEqual(["fast"]);
    expect(fake.log.some((line) => line.startsWith("reraise"))).toBe(false);
    // Already unlistened: a second signal while closing gets the default action at once.
    expect(fake.count()).toBe(0);
    finishSlow();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toEqual(["fast", "slow"]);
    expect(fake.log.at(-1)).toBe("reraise SIGTERM with 0 listeners");
  });

  it("listens while a consumer is registered and stops listening when the last one closes normally", () => {
    const fake = fakeRuntime();
    const watch = new SignalWatch(fake.runtime);
    const first = watch.register({ onSignal: async () => undefined });
    const second = watch.register({ onSignal: async () => undefined });
    expect(fake.count()).toBe(2); // SIGINT and SIGTERM, once for both consumers
    first();
    expect(fake.count()).toBe(2);
    second();
    expect(fake.count()).toBe(0);
    expect(fake.log.filter((line) => line.startsWith("reraise"))).toEqual([]);
  });
});
