/**
 * The chaos run's plan, a pure function of its seed: when to SIGKILL which worker slot (and how long
 * until its replacement starts), and when to split and merge (one pair per reshard window: once in
 * the short test, again and again in a long run). Same seed, same plan; the timing of what the
 * workers do in between is the machine's.
 */
import { mulberry32 } from "../support/fault-responses.ts";

export type ChaosAction =
  | { at: number; kind: "kill"; slot: number; restartAfterMs: number }
  | { at: number; kind: "split"; pick: number }
  | { at: number; kind: "merge"; pick: number };

export interface ScheduleOptions {
  /** How long the chaos lasts (ms from the start): nothing is scheduled after it. */
  durationMs: number;
  slots: number;
  /** Time between two kills, drawn uniformly from [min, max] ms. */
  killEveryMs: readonly [number, number];
  /** Time from a kill to its replacement's start, drawn from [min, max] ms; keep max below killEveryMs' min. */
  restartAfterMs: readonly [number, number];
  /** Where the split and the merge happen, as fractions of each reshard window. */
  splitAt: number;
  mergeAt: number;
  /** One split and one merge per window this long (at least one pair; a long run reshards again and again). */
  reshardEveryMs: number;
}

export function chaosSchedule(seed: number, options: ScheduleOptions): ChaosAction[] {
  const random = mulberry32(seed);
  const between = ([min, max]: readonly [number, number]): number => Math.round(min + random() * (max - min));
  const actions: ChaosAction[] = [];
  const windows = Math.max(1, Math.floor(options.durationMs / options.reshardEveryMs));
  const windowMs = options.durationMs / windows;
  for (let w = 0; w < windows; w++) {
    actions.push({ at: Math.round((w + options.splitAt) * windowMs), kind: "split", pick: random() });
    actions.push({ at: Math.round((w + options.mergeAt) * windowMs), kind: "merge", pick: random() });
  }
  for (let at = between(options.killEveryMs); at < options.durationMs; at += between(options.killEveryMs)) {
    actions.push({ at, kind: "kill", slot: Math.floor(random() * options.slots), restartAfterMs: between(options.restartAfterMs) });
  }
  return actions.sort((a, b) => a.at - b.at);
}
