/**
 * Fair-share arithmetic shared by every checkpointer. N live workers on S shards converge to at most
 * ceil(S/N) each: a worker takes a free shard while under its share, and asks an owner to hand a
 * shard over only when that owner holds at least two more than it does (so two workers never trade
 * a shard back and forth).
 *
 * When the rows carry each shard's recent throughput (`bytes_per_second`, measured by its owner) the
 * group balances by load instead (see `chooseLoadMove`); counts remain the fallback.
 */
export function fairShare(totalShards: number, liveWorkers: number): number {
  return Math.ceil(totalShards / Math.max(1, liveWorkers));
}

export function mayTakeFree(held: number, totalShards: number, liveWorkers: number): boolean {
  return held < fairShare(totalShards, liveWorkers);
}

export function mayRequestHandoff(held: number, ownerHeld: number, totalShards: number, liveWorkers: number): boolean {
  return held < fairShare(totalShards, liveWorkers) && ownerHeld - held >= 2;
}

/**
 * A move must shrink the load gap between the two workers by at least this share of the mean worker
 * load: smaller gains are measurement noise, and chasing them would move shards back and forth.
 */
export const LOAD_MARGIN = 0.2;

/**
 * The least a move must gain, in bytes per second, whatever the mean: 1 % of a shard's write limit
 * (1 MB/s). A handoff pauses the shard for about a heartbeat and redelivers the record in hand; a
 * lightly loaded group (a few records now and then) is all noise to a rate, and stays on count balance
 * (a whole group below this is "no load" and balances by count).
 */
export const MIN_MOVE_BYTES_PER_SECOND = 10_000;

/** A held shard and the load it carries. */
export interface ShardLoad {
  key: string;
  owner: string;
  bytesPerSecond: number;
}

/**
 * The group's load, as the rows tell it: per live worker, the bytes per second of the shards it holds,
 * a shard already asked for counted on the worker that asked (it is on its way there).
 */
export interface GroupLoad {
  /**
   * Whether the group balances by load: every held row carries a rate (rows written by a version
   * without rates, or not yet renewed, do not) and together they come to something.
   */
  byLoad: boolean;
  /** Every live worker, this one included (0 when it holds nothing). */
  byWorker: ReadonlyMap<string, number>;
  /** Held shards that are not being handed over: what a move may take. */
  movable: readonly ShardLoad[];
  /** Owners that have a handoff asked of them already: one move per worker at a time. */
  givingAway: ReadonlySet<string>;
  mean: number;
}

/** The smallest improvement a move must make (see `LOAD_MARGIN` and `MIN_MOVE_BYTES_PER_SECOND`). */
export function loadMargin(load: GroupLoad): number {
  return Math.max(LOAD_MARGIN * load.mean, MIN_MOVE_BYTES_PER_SECOND);
}

/** How much moving a shard of `bytesPerSecond` from a worker at `from` to one at `to` shrinks their gap. */
export function gapReduction(from: number, to: number, bytesPerSecond: number): number {
  const gap = from - to;
  return gap - Math.abs(gap - 2 * bytesPerSecond);
}

/**
 * The one shard this worker (`me`) should ask for, or undefined: from the most loaded worker that is
 * not already handing a shard over, the shard whose move shrinks the gap between the two of them the
 * most — only if the shard's load is less than the gap (it then lands below where it was), the gap
 * shrinks by at least the margin, and this worker stays within its byte budget. Each such move lowers
 * the sum of the squared worker loads, so moves cannot cycle: the group settles, then stays put
 * until the rates really change. Ties go to the smallest key, so every worker that would ask, asks
 * for the same shard, and only the first request lands.
 */
export function chooseLoadMove(load: GroupLoad, me: string, budget: number = Number.POSITIVE_INFINITY): ShardLoad | undefined {
  const mine = load.byWorker.get(me) ?? 0;
  let from: string | undefined;
  let fromLoad = mine;
  for (const [worker, bytes] of load.byWorker) {
    if (worker === me || load.givingAway.has(worker) || bytes <= mine) continue;
    if (from === undefined || bytes > fromLoad || (bytes === fromLoad && worker < from)) {
      from = worker;
      fromLoad = bytes;
    }
  }
  if (from === undefined) return undefined;
  const margin = loadMargin(load);
  let best: ShardLoad | undefined;
  let bestReduction = 0;
  for (const shard of load.movable) {
    if (shard.owner !== from || shard.bytesPerSecond >= fromLoad - mine) continue;
    if (mine + shard.bytesPerSecond > budget) continue;
    const reduction = gapReduction(fromLoad, mine, shard.bytesPerSecond);
    if (reduction < margin || reduction <= 0) continue;
    if (best === undefined || reduction > bestReduction || (reduction === bestReduction && shard.key < best.key)) {
      best = shard;
      bestReduction = reduction;
    }
  }
  return best;
}

/**
 * Whether a count move (see `mayRequestHandoff`) may go ahead while the group balances by load: only
 * if it does not widen the load gap between the two workers (the shard carries no more than the gap).
 */
export function countMoveKeepsLoad(load: GroupLoad, me: string, owner: string, bytesPerSecond: number, budget: number = Number.POSITIVE_INFINITY): boolean {
  const mine = load.byWorker.get(me) ?? 0;
  const theirs = load.byWorker.get(owner) ?? 0;
  return bytesPerSecond <= theirs - mine && mine + bytesPerSecond <= budget;
}

/**
 * Whether this worker may take a free or expired shard carrying `bytesPerSecond` within its budget —
 * or, over it, because no other live worker could (judged by this worker's budget: the fleet is
 * expected to share one setting).
 */
export function fitsBudget(load: GroupLoad, me: string, bytesPerSecond: number, budget: number = Number.POSITIVE_INFINITY): boolean {
  if (budget === Number.POSITIVE_INFINITY) return true;
  const mine = load.byWorker.get(me) ?? 0;
  if (mine + bytesPerSecond <= budget) return true;
  for (const [worker, bytes] of load.byWorker) if (worker !== me && bytes + bytesPerSecond <= budget) return false;
  return true;
}
