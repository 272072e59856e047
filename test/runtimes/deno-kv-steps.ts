/**
 * Deno entry for test/deno-kv-steps.test.ts: bounded consumer steps inside Deno with
 * DenoKvCheckPointer on a Deno KV file, each step a new consumer and a new worker, as separate cron
 * ticks would be. `deno run --unstable-kv ... deno-kv-steps.ts <kinesis endpoint> <stream> <kv path> <records per step>...`
 * prints `{ steps: string[][], checkpoints }`. The process must exit by itself after the last step: a
 * timer left running by a closed consumer would keep it alive.
 */
import { Consumer, DenoKvCheckPointer, type DenoKvLike } from "../../src/index.ts";

declare const Deno: { args: string[]; openKv(path?: string): Promise<DenoKvLike & { close(): void }> };

const [endpoint, streamName, kvPath, ...perStep] = Deno.args;
const kv = await Deno.openKv(kvPath);

async function step(records: number): Promise<string[]> {
  const consumer = new Consumer({
    streamName: streamName!,
    endpoint: endpoint!,
    checkpointer: new DenoKvCheckPointer({ name: "deno-steps", kv }),
    stopAfter: { records },
    idleTimeout: 1,
  });
  const seen: string[] = [];
  try {
    for await (const record of consumer.records()) seen.push(record.sequenceNumber);
  } finally {
    await consumer.close();
  }
  return seen;
}

const steps: string[][] = [];
for (const records of perStep) steps.push(await step(Number(records)));
const checkpoints = await new DenoKvCheckPointer({ name: "deno-steps", kv }).listCheckpoints({ streamName: streamName! });
kv.close();
console.log(JSON.stringify({ steps, checkpoints }));
