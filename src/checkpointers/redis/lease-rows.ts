import type { OwnerWriteKind } from "../lease/lease-rules.ts";
import { epochSeconds, type LeaseRow } from "../lease/lease-row.ts";
import { CANCEL_HANDOFF, LIST_ROWS, OWNER_WRITE, READ_ROW, REQUEST_HANDOFF, TAKE } from "./lua.ts";
import { decodeOutcome, decodeRow, type KeySpace } from "./rows.ts";
import type { ScriptRunner } from "./scripts.ts";

/** When a write happens and how long its row must live from then. */
export interface RedisStamp {
  nowMs: number;
  ttlMs: number;
}

/** A conditional script's answer: whether its condition held, and the row after it (or as found). */
export interface ScriptOutcome {
  ok: boolean;
  row: LeaseRow | undefined;
}

/**
 * A group's lease rows in Redis, one typed method per script. Every write is one atomic script;
 * the conditions (fencing, one winner per race) are in lua.ts, the decisions in lease-rules.ts.
 */
export class LeaseRows {
  readonly keys: KeySpace;
  readonly #scripts: ScriptRunner;

  constructor(scripts: ScriptRunner, keys: KeySpace) {
    this.#scripts = scripts;
    this.keys = keys;
  }

  /** Create the row of a shard nobody has written yet (or replace one of another incarnation), owned by `me`. */
  create(stream: string, shardId: string, me: string, incarnation: string | undefined, stamp: RedisStamp, signal?: AbortSignal): Promise<ScriptOutcome> {
    return this.#take(stream, shardId, [me, "", "", ...this.#stamp(stamp), this.keys.group, stream, shardId, incarnation ?? ""], signal);
  }

  /** Take a free, expired, reserved or own row, conditional on the counter and owner observed. */
  take(
    stream: string,
    shardId: string,
    me: string,
    expected: { counter: number; owner?: string | undefined },
    stamp: RedisStamp,
    signal?: AbortSignal,
  ): Promise<ScriptOutcome> {
    const args = [me, String(expected.counter), expected.owner ?? "", ...this.#stamp(stamp), this.keys.group, stream, shardId, ""];
    return this.#take(stream, shardId, args, signal);
  }

  /** An owner's renew / release / finish, fenced on `ref == me AND lease_counter == counter`. */
  async ownerWrite(
    kind: OwnerWriteKind,
    stream: string,
    shardId: string,
    write: { me: string; counter: number; sequence: string | undefined; startAt: number | undefined; bytesPerSecond?: number | undefined; stamp: RedisStamp },
    signal?: AbortSignal,
  ): Promise<ScriptOutcome> {
    const startAt = write.startAt === undefined ? "" : String(Math.round(write.startAt));
    const rate = write.bytesPerSecond === undefined ? "" : String(Math.round(write.bytesPerSecond));
    const args = [kind, write.me, String(write.counter), write.sequence ?? "", ...this.#stamp(write.stamp), stream, shardId, startAt, rate];
    return decodeOutcome(await this.#scripts.run(OWNER_WRITE, this.keys.writeKeys(stream, shardId), args, signal), this.keys);
  }

  /** Ask `owner` to hand the shard to `me` (leaves the counter alone). */
  async requestHandoff(stream: string, shardId: string, me: string, owner: string, signal?: AbortSignal): Promise<ScriptOutcome> {
    const reply = await this.#scripts.run(REQUEST_HANDOFF, this.keys.writeKeys(stream, shardId), [me, owner], signal);
    return decodeOutcome(reply, this.keys);
  }

  /** Withdraw `me`'s handoff request (clear `pending_owner` if it still names `me`). */
  async cancelHandoff(stream: string, shardId: string, me: string, signal?: AbortSignal): Promise<ScriptOutcome> {
    return decodeOutcome(await this.#scripts.run(CANCEL_HANDOFF, [this.keys.row(stream, shardId)], [me], signal), this.keys);
  }

  async read(stream: string, shardId: string, signal?: AbortSignal): Promise<LeaseRow | undefined> {
    return decodeRow(await this.#scripts.run(READ_ROW, [this.keys.row(stream, shardId)], [], signal), this.keys);
  }

  /** Every row of one stream, or of every stream of the group. */
  async list(stream: string | undefined, signal?: AbortSignal): Promise<LeaseRow[]> {
    const reply = await this.#scripts.run(LIST_ROWS, [this.keys.groupIndex], [`${this.keys.groupIndex}:`, stream ?? ""], signal);
    const rows: LeaseRow[] = [];
    for (const fields of Array.isArray(reply) ? reply : []) {
      const row = decodeRow(fields, this.keys);
      if (row !== undefined) rows.push(row);
    }
    return rows;
  }

  async #take(stream: string, shardId: string, args: string[], signal: AbortSignal | undefined): Promise<ScriptOutcome> {
    return decodeOutcome(await this.#scripts.run(TAKE, this.keys.writeKeys(stream, shardId), args, signal), this.keys);
  }

  #stamp(stamp: RedisStamp): [string, string] {
    return [epochSeconds(stamp.nowMs), String(Math.max(1, Math.round(stamp.ttlMs)))];
  }
}
