import type { LeaseRow } from "../checkpointers/lease/lease-row.ts";

/** A shard a worker holds, as a row shows it. */
export interface HeldShard {
  shardId: string;
  owner: string;
}

/**
 * Rows a live worker holds: an owner, not finished, and written within `sessionTimeoutMs` by the
 * wall clock (`ts`; a row without one counts as live). Workers renew every heartbeat, so a running
 * group's rows are never older than that; a stopped group released its rows (no owner), and a
 * crashed one's rows age past the timeout. This compares two hosts' clocks, so it only decides when
 * to refuse: every administration write is fenced on the row's counter whatever it decides.
 */
export function liveLeases(rows: readonly LeaseRow[], nowMs: number, sessionTimeoutMs: number): HeldShard[] {
  const held: HeldShard[] = [];
  for (const row of rows) {
    if (row.owner === undefined || row.finished) continue;
    const age = row.updatedAtSeconds === undefined ? 0 : nowMs - row.updatedAtSeconds * 1000;
    if (age < sessionTimeoutMs) held.push({ shardId: row.shardId, owner: row.owner });
  }
  return held.sort((a, b) => a.shardId.localeCompare(b.shardId));
}
