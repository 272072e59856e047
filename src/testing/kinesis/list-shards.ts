import { FakeAwsError, type Json, stringField } from "../wire.ts";
import type { FakeShard } from "./stream-state.ts";

/** Which shards a ListShards asked for; carried in its NextToken so later pages continue the same list. */
export interface ShardSelection {
  after?: string;
  openOnly?: boolean;
}

/**
 * `ExclusiveStartShardId` and `ShardFilter`: AFTER_SHARD_ID, and AT_LATEST (open shards only). The
 * TRIM_HORIZON and TIMESTAMP types list every shard, as nothing is ever trimmed from the fake.
 */
export function shardSelection(body: Json): ShardSelection {
  const filter = body["ShardFilter"] as { Type?: string; ShardId?: string } | undefined | null;
  const after = stringField(body, "ExclusiveStartShardId") ?? (filter?.Type === "AFTER_SHARD_ID" ? filter.ShardId : undefined);
  const selection: ShardSelection = {};
  if (after !== undefined) selection.after = after;
  if (filter?.Type === "AT_LATEST") selection.openOnly = true;
  return selection;
}

export function selectShards(shards: FakeShard[], selection: ShardSelection): FakeShard[] {
  const after = selection.after;
  return shards.filter((s) => (after === undefined || s.shardId > after) && (selection.openOnly !== true || s.endingSequenceNumber === undefined));
}

export function makeToken(page: { stream: string; offset: number; selection: ShardSelection }): string {
  return btoa(JSON.stringify(page));
}

export function parseToken(token: string): { stream: string; offset: number; selection: ShardSelection } {
  try {
    const parsed = JSON.parse(atob(token)) as { stream?: unknown; offset?: unknown; selection?: unknown };
    if (typeof parsed.stream === "string" && typeof parsed.offset === "number" && typeof parsed.selection === "object" && parsed.selection !== null) {
      return { stream: parsed.stream, offset: parsed.offset, selection: parsed.selection as ShardSelection };
    }
  } catch {
    // fall through to the error below
  }
  throw new FakeAwsError("InvalidArgumentException", "NextToken is invalid");
}
