import { describe, expect, it } from "vitest";
import { type FailedRecord, PutFailedError } from "../../src/errors.ts";
import { Admission } from "../../src/producer/admission.ts";
import { Settlement } from "../../src/producer/settlement.ts";

const failure = (data: unknown): FailedRecord => ({ data, partitionKey: "k", errorCode: "KMSAccessDeniedException", errorMessage: "no", attempts: 1 });

async function state(promise: Promise<unknown>): Promise<"pending" | "resolved" | "rejected"> {
  return Promise.race([
    promise.then(() => "resolved" as const, () => "rejected" as const),
    new Promise<"pending">((resolve) => setTimeout(() => resolve("pending"), 5)),
  ]);
}

describe("Settlement", () => {
  it("a flush waits for items accepted before it, not for items accepted while it waits", async () => {
    const settlement = new Settlement("s");
    settlement.accept(2);
    const flushed = settlement.waitFor(settlement.cut());
    settlement.accept(5); // next generation
    settlement.settle(0, 1);
    expect(await state(flushed)).toBe("pending");
    settlement.settle(0, 1);
    expect(await state(flushed)).toBe("resolved");
    expect(settlement.outstanding).toBe(5);
  });

  it("rejects a flush with exactly the failures of its generations, and reports each failure once", async () => {
    const settlement = new Settlement("s");
    settlement.accept(3);
    const first = settlement.cut();
    settlement.accept(1);
    settlement.settle(first, 3, [failure("a")]);
    const error = await settlement.waitFor(first).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PutFailedError);
    expect((error as PutFailedError).failures.map((f) => f.data)).toEqual(["a"]);
    // Reported: a later flush of the same generation has nothing to say.
    await expect(settlement.waitFor(first)).resolves.toBeUndefined();
    const second = settlement.cut();
    settlement.settle(second, 1, [failure("b")]);
    await expect(settlement.waitFor(second)).rejects.toMatchObject({ code: "PUT_FAILED", failures: [{ data: "b" }] });
  });

  it("keeps at most maxRetainedFailures failures: the oldest are dropped and counted in the next PutFailedError", async () => {
    const settlement = new Settlement("s", 3);
    settlement.accept(5);
    const generation = settlement.cut();
    settlement.settle(generation, 2, [failure("a"), failure("b")]);
    settlement.settle(generation, 3, [failure("c"), failure("d"), failure("e")]);
    expect(settlement.retainedFailures).toBe(3);
    expect(settlement.droppedTotal).toBe(2);
    expect(settlement.failedTotal).toBe(5);
    const error = (await settlement.waitFor(generation).catch((e: unknown) => e)) as PutFailedError;
    expect(error).toBeInstanceOf(PutFailedError);
    expect(error.failures.map((f) => f.data)).toEqual(["c", "d", "e"]);
    expect(error.droppedFailures).toBe(2);
    expect(error.message).toMatch(/^5 record\(s\) could not be put to s: .*2 older failure\(s\) dropped unlisted \(over maxRetainedFailures\)$/);
    // Reported once: the retained list is empty again and the dropped count is not repeated.
    expect(settlement.retainedFailures).toBe(0);
    await expect(settlement.waitFor(generation)).resolves.toBeUndefined();
  });

  it("reports dropped failures to the flush of their own generation, even when none of its failures is left to list", async () => {
    const settlement = new Settlement("s", 2);
    settlement.accept(2);
    const first = settlement.cut();
    settlement.accept(2);
    const second = settlement.cut();
    settlement.settle(first, 2, [failure("old-1"), failure("old-2")]);
    settlement.settle(second, 2, [failure("new-1"), failure("new-2")]);
    const earlier = (await settlement.waitFor(first).catch((e: unknown) => e)) as PutFailedError;
    expect(earlier).toBeInstanceOf(PutFailedError);
    expect(earlier.failures).toEqual([]);
    expect(earlier.droppedFailures).toBe(2);
    expect(earlier.message).toBe("2 record(s) could not be put to s: none listed; 2 older failure(s) dropped unlisted (over maxRetainedFailures)");
    const later = (await settlement.waitFor(second).catch((e: unknown) => e)) as PutFailedError;
    expect(later.failures.map((f) => f.data)).toEqual(["new-1", "new-2"]);
    expect(later.droppedFailures).toBe(0);
  });

  it("resolves a flush at once when nothing is outstanding", async () => {
    const settlement = new Settlement("s");
    await expect(settlement.waitFor(settlement.cut())).resolves.toBeUndefined();
  });
});

describe("Admission", () => {
  it("makes the put past capacity wait until an item settles, in arrival order", async () => {
    const admission = new Admission(2);
    expect(admission.tryAcquire()).toBe(true);
    expect(admission.tryAcquire()).toBe(true);
    expect(admission.tryAcquire()).toBe(false);
    const order: string[] = [];
    const third = admission.acquire().then(() => order.push("third"));
    const fourth = admission.acquire().then(() => order.push("fourth"));
    // A newcomer does not overtake the waiters even when a slot frees up.
    admission.release(1);
    expect(admission.tryAcquire()).toBe(false);
    await third;
    expect(await state(fourth)).toBe("pending");
    admission.release(1);
    await fourth;
    expect(order).toEqual(["third", "fourth"]);
  });

  it("fails every waiter when the producer fails", async () => {
    const admission = new Admission(1);
    admission.tryAcquire();
    const waiting = admission.acquire();
    admission.rejectAll(new Error("stream gone"));
    await expect(waiting).rejects.toThrow("stream gone");
  });
});
