/**
 * Fair-share arithmetic shared by every checkpointer. N live workers on S shards converge to at most
 * ceil(S/N) each: a worker takes a free shard while under its share, and asks an owner to hand a
 * shard over only when that owner holds at least two more than it does (so two workers never trade
 * a shard back and forth).
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
