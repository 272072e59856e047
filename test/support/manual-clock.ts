import { ManualClock as TestingManualClock } from "../../src/testing/manual-clock.ts";

/**
 * The testing module's `ManualClock`, for tests whose woken code talks to a real local server: each
 * step of `advance` lets real I/O settle for `settleMs` (15 ms by default) before the next wake-up.
 */
export class ManualClock extends TestingManualClock {
  override advance(ms: number, settleMs = 15): Promise<void> {
    return super.advance(ms, settleMs);
  }

  /** Sleepers waiting right now (a closed component should leave none). */
  pending(): number {
    return this.pendingSleeps;
  }
}
