import type { CheckpointSession, Lease } from "../../src/checkpointers/types.ts";
import type { RoundClock } from "./round-clock.ts";
import { until } from "./until.ts";

export interface Win {
  session: CheckpointSession;
  lease: Lease;
  /** When the winner's allocate answered (Date.now()). */
  at: number;
}

/**
 * Several takers call `allocate(shardId)` together, round after round, until at least one gets the
 * lease; returns every winner of that round (a correct store has exactly one). Takers sharing a
 * `clock` decide each round at one instant of it.
 */
export async function raceToTake(takers: readonly CheckpointSession[], shardId: string, clock?: RoundClock): Promise<Win[]> {
  const won: Win[] = [];
  const round = <T>(work: () => Promise<T>): Promise<T> => (clock === undefined ? work() : clock.round(work));
  await until("someone takes the lease over", async () => {
    const results = await round(() => Promise.all(takers.map((s) => s.allocate(shardId, { totalShards: 1 }))));
    results.forEach((lease, i) => lease !== undefined && won.push({ session: takers[i]!, lease, at: Date.now() }));
    return won.length > 0 ? true : undefined;
  });
  return won;
}
