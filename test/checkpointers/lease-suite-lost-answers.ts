import { expect, it } from "vitest";
import type { ConditionalOutcome, LeaseBackend } from "../../src/checkpointers/lease/backend.ts";
import { type FencedWriteContext, ownerWriteBackoff, runFencedWrite } from "../../src/checkpointers/lease/fenced-write.ts";
import { HeldLease } from "../../src/checkpointers/lease/held-lease.ts";
import type { FencedWrite, OwnerWriteKind } from "../../src/checkpointers/lease/lease-rules.ts";
import { uniqueName } from "../support/clients.ts";
import type { RawRow, StoreTap } from "../support/lease-drivers/driver.ts";
import type { SuiteContext } from "./lease-suite.ts";

/**
 * An owner write that landed although its answer was lost (a reset after the request was sent, a
 * timeout): the row must be recognised as our own write done, never as a lost lease. Driven through
 * the session's write loop (`runFencedWrite`) on the store's own backend, with the first answer lost
 * in one of two ways: the transport sends the same request again at once, or the call fails and the
 * lease writes again later.
 */
export function leaseLostAnswerTests<Tap extends StoreTap>({ driver }: SuiteContext<Tap>): void {
  /** The row each write leaves, from the row it started on (counter `c`): a renew lands twice (the retry adopts the counter). */
  const expected: Record<OwnerWriteKind, (me: string, c: number) => RawRow> = {
    renew: (me, c) => ({ owner: me, sequence: "42", finished: false, counter: c + 2 }),
    release: (_me, c) => ({ owner: undefined, sequence: "42", finished: false, counter: c + 1 }),
    finish: (_me, c) => ({ owner: undefined, sequence: "42", finished: true, counter: c + 1 }),
  };

  async function heldLease(backend: LeaseBackend, me: string, signal: AbortSignal): Promise<HeldLease> {
    const created = await backend.create("shard-0", me, Date.now(), signal);
    if (!created.landed || created.row === undefined) throw new Error("the test could not create its row");
    const lease = new HeldLease("shard-0", created.row, performance.now());
    lease.offer("42", performance.now());
    return lease;
  }

  for (const kind of ["renew", "release", "finish"] as const) {
    it(`counts a ${kind} whose write landed although its answer was lost, and was sent again, as done, not as a lost lease`, async () => {
      const group = uniqueName("g");
      const stream = uniqueName("s");
      const backend = driver.backend(group, stream);
      const me = `${group}/worker-a`;
      const signal = new AbortController().signal;
      const lease = await heldLease(backend, me, signal);
      const startCounter = lease.counter;
      let answersLost = 0;
      const attempt = async (write: FencedWrite): Promise<ConditionalOutcome> => {
        if (answersLost++ === 0) await backend.ownerWrite("shard-0", me, write, signal); // landed; its answer never arrives
        return backend.ownerWrite("shard-0", me, write, signal); // the same request, sent again
      };
      const context: FencedWriteContext = { me, now: () => performance.now(), backoff: ownerWriteBackoff(15_000), random: Math.random };

      const result = await runFencedWrite(context, lease, kind, { withPending: true }, attempt);

      expect(result.kind).toBe("ok");
      expect(lease.lostTo).toBeUndefined();
      expect(lease.committed).toBe("42");
      const stored = await driver.rawRow(group, stream, "shard-0");
      expect(stored).toEqual(expected[kind](me, startCounter));
      if (kind === "renew") expect(lease.counter).toBe(stored?.counter); // fenced on the row as it is now
    });

    it(`recognises a ${kind} whose answer was lost as done when the lease writes again`, async () => {
      const group = uniqueName("g");
      const stream = uniqueName("s");
      const backend = driver.backend(group, stream);
      const me = `${group}/worker-a`;
      const signal = new AbortController().signal;
      const lease = await heldLease(backend, me, signal);
      const startCounter = lease.counter;
      let answersLost = 0;
      const attempt = async (write: FencedWrite): Promise<ConditionalOutcome> => {
        const outcome = await backend.ownerWrite("shard-0", me, write, signal);
        if (answersLost++ === 0) throw new Error("connection reset after the request was sent");
        return outcome;
      };
      const context: FencedWriteContext = { me, now: () => performance.now(), backoff: ownerWriteBackoff(15_000), random: Math.random };

      const first = await runFencedWrite(context, lease, kind, { withPending: true }, attempt);
      expect(first.kind).toBe("failed");
      expect(lease.pending).toBe("42"); // not known to be written: still buffered
      const second = await runFencedWrite(context, lease, kind, { withPending: true }, attempt);

      expect(second.kind).toBe("ok");
      expect(lease.lostTo).toBeUndefined();
      expect(lease.committed).toBe("42");
      expect(await driver.rawRow(group, stream, "shard-0")).toEqual(expected[kind](me, startCounter));
    });
  }
  it("refuses an owner write conditional on a stale counter, even under the owner's own ref", async () => {
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const backend = driver.backend(group, stream);
    const me = `${group}/worker-a`;
    const signal = new AbortController().signal;
    const lease = await heldLease(backend, me, signal);
    const counter = lease.counter;
    const renewed = await backend.ownerWrite("shard-0", me, { kind: "renew", counter, sequence: "10" }, signal);
    expect(renewed.landed).toBe(true);
    const before = await driver.rawRow(group, stream, "shard-0");
    // A write of the same owner that still carries the counter it saw before the renewal (a paused
    // twin of this worker, a duplicated request): each kind is refused and the row stays as it is.
    for (const kind of ["renew", "release", "finish"] as const) {
      const stale = await backend.ownerWrite("shard-0", me, { kind, counter, sequence: "99" }, signal);
      expect(stale.landed).toBe(false);
    }
    expect(await driver.rawRow(group, stream, "shard-0")).toEqual(before);
    expect(before).toMatchObject({ owner: me, sequence: "10", counter: counter + 1 });
  });
}
