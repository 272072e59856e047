import type { ConditionalOutcome, LeaseBackend } from "../../../src/checkpointers/lease/backend.ts";
import type { FencedWrite } from "../../../src/checkpointers/lease/lease-rules.ts";
import type { LeaseRow } from "../../../src/checkpointers/lease/lease-row.ts";
import { CallGate } from "./call-gate.ts";
import type { StoreTap } from "./driver.ts";

/**
 * A store tap for a store reached through a `LeaseBackend` object (memory): `wrap` puts the gate in
 * front of every call of a backend, so a paused checkpointer's calls wait before they reach the
 * rows, and a failed write throws as a broken connection would, without touching them.
 */
export class BackendTap extends CallGate implements StoreTap {
  wrap(inner: LeaseBackend, random?: () => number): LeaseBackend {
    const read = async <T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> => {
      await this.pass(signal);
      return call();
    };
    const write = async (signal: AbortSignal, carried: readonly string[], call: () => Promise<ConditionalOutcome>): Promise<ConditionalOutcome> => {
      const late = await this.pass(signal);
      if (this.write()) throw new Error("connection reset: the store did not answer");
      if (late) this.arrivedLate(carried);
      return call();
    };
    return {
      storeName: inner.storeName,
      random: random ?? inner.random,
      incarnation: inner.incarnation,
      rowKey: (shardId: string): string => inner.rowKey(shardId),
      listRows: (signal: AbortSignal): Promise<LeaseRow[]> => read(signal, () => inner.listRows(signal)),
      readRow: (shardId: string, signal: AbortSignal): Promise<LeaseRow | undefined> => read(signal, () => inner.readRow(shardId, signal)),
      create: (shardId: string, me: string, nowMs: number, signal: AbortSignal) => write(signal, [], () => inner.create(shardId, me, nowMs, signal)),
      take: (shardId: string, me: string, expected: { counter: number; owner?: string | undefined }, nowMs: number, signal: AbortSignal) =>
        write(signal, [], () => inner.take(shardId, me, expected, nowMs, signal)),
      requestHandoff: (shardId: string, me: string, owner: string, signal: AbortSignal) =>
        write(signal, [], () => inner.requestHandoff(shardId, me, owner, signal)),
      ownerWrite: (shardId: string, me: string, fenced: FencedWrite, signal: AbortSignal) =>
        write(signal, fenced.sequence === undefined ? [] : [fenced.sequence], () => inner.ownerWrite(shardId, me, fenced, signal)),
      cancelHandoff: (shardId: string, me: string, signal: AbortSignal) => write(signal, [], () => inner.cancelHandoff(shardId, me, signal)),
    };
  }
}
