/**
 * The chaos run's producer: small PutRecords batches straight to the stream (around the fault
 * proxy, so what was put is known exactly), over a fixed set of partition keys. Each batch holds
 * distinct keys and batches go one after another, so each key's records are stored in the order
 * they were produced: `<key>:<n>` with n counting up per key is that order.
 */
import type { KinesisClient } from "../../src/kinesis/client.ts";
import { sleep } from "../../src/internal/clock.ts";
import type { Produced } from "./chaos-checks.ts";

export interface KeyedProducer {
  readonly count: number;
  /** Set if a put failed (the producer then stops). */
  readonly error: string | undefined;
  /** Stop after the batch in flight; resolves with everything put, in order. Safe to call twice. */
  stop(): Promise<Produced[]>;
}

const encoder = new TextEncoder();

export function startKeyedProducer(kinesis: KinesisClient, stream: string, options: { keys: number; batch: number; pauseMs: number }): KeyedProducer {
  const produced: Produced[] = [];
  const next = Array.from({ length: options.keys }, () => 0);
  let stopped = false;
  let error: string | undefined;
  let cursor = 0;
  const loop = (async () => {
    while (!stopped) {
      const batch = Array.from({ length: Math.min(options.batch, options.keys) }, () => {
        const k = cursor++ % options.keys;
        const key = `k${String(k).padStart(2, "0")}`;
        const id = `${key}:${next[k]!++}`;
        return { id, key, data: encoder.encode(JSON.stringify({ id })), partitionKey: key };
      });
      try {
        const result = await kinesis.putRecords(stream, batch);
        if (result.failedRecordCount > 0) throw new Error(`${result.failedRecordCount} records failed to put`);
        result.records.forEach((r, i) => {
          const { id, key } = batch[i]!;
          produced.push({ id, key, n: Number(id.slice(id.indexOf(":") + 1)), shardId: r.shardId!, sequenceNumber: r.sequenceNumber! });
        });
      } catch (cause) {
        error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
        return;
      }
      await sleep(options.pauseMs);
    }
  })();
  return {
    get count() {
      return produced.length;
    },
    get error() {
      return error;
    },
    async stop() {
      stopped = true;
      await loop;
      return produced;
    },
  };
}
