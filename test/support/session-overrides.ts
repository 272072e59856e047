import type { CheckPointer, CheckpointSession } from "../../src/checkpointers/types.ts";

/**
 * A checkpointer whose sessions pass every call to `inner`'s, except the ones `override` replaces:
 * how tests make a store slow, stuck or stealable in one place without a copy of the whole session.
 */
export function withSessionOverrides(inner: CheckPointer, override: (session: CheckpointSession) => Partial<CheckpointSession>): CheckPointer {
  return {
    manualCheckpoint: () => inner.manualCheckpoint(),
    close: () => inner.close(),
    async start(scope) {
      const session = await inner.start(scope);
      const passThrough: CheckpointSession = {
        ref: session.ref,
        allocateIntervalSeconds: session.allocateIntervalSeconds,
        allocate: (shardId, context) => session.allocate(shardId, context),
        checkpoint: (shardId, sequence) => session.checkpoint(shardId, sequence),
        finish: (shardId, lastSequence) => session.finish(shardId, lastSequence),
        recordStart: (shardId, atMs) => session.recordStart(shardId, atMs),
        release: (shardId) => session.release(shardId),
        manualCheckpoint: () => session.manualCheckpoint(),
        get: (shardId) => session.get(shardId),
        list: () => session.list(),
        close: () => session.close(),
      };
      return { ...passThrough, ...override(session) };
    },
  };
}
