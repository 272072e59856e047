/**
 * Run by `deno test` (see test/examples.test.ts): a bounded step, ended by each kind of bound, must
 * leave nothing running after close(). Deno's test sanitizers, switched on here (Deno 2.9 leaves them
 * off by default), fail a test that leaves a timer, a fetch or another async op pending, or a resource open.
 */
import { Consumer, DynamoDBCheckPointer } from "../../src/index.ts";

declare const Deno: {
  env: { get(name: string): string | undefined };
  test(definition: { name: string; sanitizeOps: boolean; sanitizeResources: boolean; fn: () => Promise<void> }): void;
};

const streamName = Deno.env.get("STREAM_NAME") ?? "";
const group = Deno.env.get("CHECKPOINT_GROUP") ?? "";

const bounds: Array<["records" | "seconds" | "requests", { records?: number; seconds?: number; requests?: number }]> = [
  ["records", { records: 3 }],
  ["seconds", { seconds: 1 }],
  ["requests", { requests: 16 }],
];

for (const [name, stopAfter] of bounds) {
  Deno.test({
    name: `a step ended by its ${name} bound leaves no timer, request or promise running after close()`,
    sanitizeOps: true,
    sanitizeResources: true,
    fn: async () => {
      const checkpointer = new DynamoDBCheckPointer({ name: `${group}-${name}`, sessionTimeout: 10, heartbeatFrequency: 0.5 });
      let reason: string | undefined;
      const consumer = new Consumer({
        streamName,
        checkpointer,
        stopAfter,
        shardFetchRate: 5,
        onEvent: (event) => {
          if (event.type === "stepEnded") reason = event.reason;
        },
      });
      let items = 0;
      try {
        for await (const _item of consumer) items++;
      } finally {
        await consumer.close();
        await checkpointer.close();
      }
      if (items === 0 || reason !== name) throw new Error(`the step delivered ${items} items and ended by ${reason}`);
    },
  });
}
