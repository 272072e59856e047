/**
 * One scenario with the in-memory fake, Web APIs only, run unchanged on Deno, Bun and workerd: a
 * Producer puts 20 items on a 2-shard stream, a Consumer with a DynamoDBCheckPointer reads them all and
 * closes, and a restart of the same group reads nothing (it resumes after the checkpoints). No server
 * anywhere: every request goes to the fake's fetch.
 */
import { Consumer, DynamoDBCheckPointer, Producer } from "../../../src/index.ts";
import { assertDeliveredOnce, assertShardOrder, collect, createFakeAws } from "../../../src/testing/index.ts";

export interface FakeScenarioResult {
  delivered: number;
  shards: number;
  restartDelivered: number;
  checkpointRows: number;
  /** Requests that went anywhere but the fake (must be none). */
  outsideRequests: number;
}

export async function runFakeScenario(): Promise<FakeScenarioResult> {
  const realFetch = globalThis.fetch;
  let outsideRequests = 0;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    outsideRequests += 1;
    return realFetch(input, init);
  }) as typeof fetch;
  try {
    const fake = createFakeAws();
    fake.kinesis.createStream("orders", 2);
    const producer = new Producer<{ n: number }>({ streamName: "orders", ...fake.options, bufferTime: 0.05 });
    const put = Array.from({ length: 20 }, (_, n) => ({ n }));
    for (const item of put) await producer.put(item, `order-${item.n}`);
    await producer.close();

    const checkpointer = () => new DynamoDBCheckPointer({ name: "billing", ...fake.options, sessionTimeout: 3, heartbeatFrequency: 0.5 });
    const consumer = new Consumer<{ n: number }>({ streamName: "orders", ...fake.options, checkpointer: checkpointer(), idleTimeout: 0.5 });
    const records = await collect(consumer.records());
    await consumer.close();
    assertDeliveredOnce(put, records.map((r) => r.data));
    assertShardOrder(records);

    const restart = new Consumer<{ n: number }>({ streamName: "orders", ...fake.options, checkpointer: checkpointer(), idleTimeout: 0.5 });
    const again = await collect(restart);
    await restart.close();
    return {
      delivered: records.length,
      shards: new Set(records.map((r) => r.shardId)).size,
      restartDelivered: again.length,
      checkpointRows: fake.dynamodb.items("kinesis-checkpoints-billing").filter((row) => row["sequence"] !== undefined).length,
      outsideRequests,
    };
  } finally {
    globalThis.fetch = realFetch;
  }
}
