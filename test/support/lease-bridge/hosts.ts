/**
 * The two platforms behind the bridge (protocol.ts): the real backends of DurableObjectCheckPointer
 * and DenoKvCheckPointer over the platform's own storage object, plus the driver's raw read and
 * takeover, each one atomic step of that storage. Web APIs only: bundled into a worker, run by Deno.
 */
import { denoKvLeaseBackend } from "../../../src/checkpointers/deno-kv/store.ts";
import { type DenoKvLike, DenoKvRows } from "../../../src/checkpointers/deno-kv/kv.ts";
import { DurableObjectRows, type DurableObjectStorageLike } from "../../../src/checkpointers/durable-object/storage.ts";
import { durableObjectLeaseBackend } from "../../../src/checkpointers/durable-object/store.ts";
import type { LeaseRow } from "../../../src/checkpointers/lease/lease-row.ts";
import type { RowStore } from "../../../src/checkpointers/lease/row-store.ts";
import type { BridgedRawRow, BridgeHost, RowAddress } from "./protocol.ts";

export const BRIDGE_KEY_PREFIX = "async-kinesis";
/** The suites' stores keep rows an hour after their last write. */
const TTL_SECONDS = 3600;

function rawOf(row: LeaseRow | undefined): BridgedRawRow | undefined {
  if (row === undefined) return undefined;
  const raw: BridgedRawRow = { finished: row.finished, counter: row.counter };
  if (row.owner !== undefined) raw.owner = row.owner;
  if (row.sequence !== undefined) raw.sequence = row.sequence;
  return raw;
}

function hostOver(rowsOf: (address: Omit<RowAddress, "shardId">) => RowStore, backend: BridgeHost["backend"]): BridgeHost {
  const signal = new AbortController().signal;
  return {
    backend,
    rawRow: async (address) => rawOf(await rowsOf(address).read(address.shardId, signal)),
    async takeOver(address) {
      const outcome = await rowsOf(address).change(
        address.shardId,
        (row) => (row === undefined ? undefined : { ...row, owner: address.owner, counter: row.counter + 1 }),
        signal,
      );
      if (!outcome.landed) throw new Error(`no row for ${address.shardId} to take over`);
    },
  };
}

export function durableObjectHost(storage: DurableObjectStorageLike): BridgeHost {
  return hostOver(
    ({ group, stream }) => new DurableObjectRows(storage, BRIDGE_KEY_PREFIX, group, stream),
    (group, stream, incarnation, clock) =>
      durableObjectLeaseBackend(storage, { keyPrefix: BRIDGE_KEY_PREFIX, group, clock }, { stream, retentionHours: 24, incarnation }),
  );
}

export function denoKvHost(kv: DenoKvLike): BridgeHost {
  return hostOver(
    ({ group, stream }) => new DenoKvRows(kv, BRIDGE_KEY_PREFIX, group, stream, () => Date.now()),
    (group, stream, incarnation, clock) =>
      denoKvLeaseBackend(kv, { keyPrefix: BRIDGE_KEY_PREFIX, group, clock, ttlSeconds: TTL_SECONDS }, { stream, retentionHours: 24, incarnation }),
  );
}
