import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DynamoDBCheckPointer } from "../../src/checkpointers/dynamodb/store.ts";
import { testCredentials, uniqueName } from "../support/clients.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";

/**
 * Throttling, 5xx and lost answers from DynamoDB (the fault proxy) must neither cost a worker its lease
 * nor lose a checkpoint: the client retries, an ambiguous write is recognised as our own, and only
 * a whole sessionTimeout without a successful renewal would make the owner let go.
 */

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy({ target: inject("dynamodbEndpoint"), seed: 20240605 });
});
afterAll(async () => {
  await proxy.close();
});

describe("DynamoDBCheckPointer under DynamoDB faults", () => {
  it("keeps its lease and every checkpoint through throttling, 5xx and resets", async () => {
    const table = uniqueName("fault-checkpoints");
    const group = uniqueName("g");
    const stream = uniqueName("s");
    const common = {
      name: group,
      tableName: table,
      region: "us-east-1",
      credentials: testCredentials,
      sessionTimeout: 6,
      heartbeatFrequency: 0.5,
      checkpointInterval: 0.1,
    };
    // The owner talks through the proxy; a rival worker talks to the table directly and would take
    // the lease the moment the owner's counter stood still for sessionTimeout.
    const owner = new DynamoDBCheckPointer({ ...common, endpoint: proxy.endpoint, random: () => 0.5 });
    const rival = new DynamoDBCheckPointer({ ...common, endpoint: inject("dynamodbEndpoint") });
    try {
      const session = await owner.start({ streamName: stream });
      const rivalSession = await rival.start({ streamName: stream });
      proxy.setRules([
        { operation: "UpdateItem", probability: 0.25, fault: { kind: "throttle" } },
        { operation: "UpdateItem", probability: 0.15, fault: { kind: "http-error", status: 500, body: "json" } },
        { operation: "UpdateItem", probability: 0.1, fault: { kind: "http-error", status: 503, body: "html" } },
        // The write lands but its answer is lost: the retry then fails its condition on our own write.
        { operation: "UpdateItem", probability: 0.15, fault: { kind: "reset-after" } },
        { operation: "GetItem", probability: 0.3, fault: { kind: "throttle", code: "ThrottlingException" } },
        { operation: "Scan", probability: 0.3, fault: { kind: "http-error", status: 500, body: "empty" } },
      ]);
      let lease;
      while (lease === undefined) lease = await session.allocate("shard-0", { totalShards: 1 });

      let last = 0;
      let rivalTook = false;
      const until = Date.now() + 5000;
      while (Date.now() < until) {
        last += 1 + Math.floor(Math.random() * 3);
        await session.checkpoint("shard-0", String(last));
        if ((await rivalSession.allocate("shard-0", { totalShards: 1 })) !== undefined) rivalTook = true;
        await new Promise((r) => setTimeout(r, 40));
      }
      const stats = proxy.stats().byOperation["UpdateItem"];
      proxy.setRules([]);
      await session.manualCheckpoint();

      expect(rivalTook).toBe(false);
      expect(lease.signal.aborted).toBe(false);
      expect(await rivalSession.get("shard-0")).toMatchObject({ owner: session.ref, sequence: String(last) });
      // The faults really happened, including lost answers to writes that landed.
      expect(stats?.faults["throttle"]).toBeGreaterThanOrEqual(2);
      expect(stats?.faults["http-error"]).toBeGreaterThanOrEqual(2);
      expect(stats?.faults["reset-after"]).toBeGreaterThanOrEqual(1);
    } finally {
      proxy.setRules([]);
      await Promise.allSettled([owner.close(), rival.close()]);
    }
  });

  it("recognises its own take whose answer was lost, instead of losing the shard", async () => {
    const table = uniqueName("fault-checkpoints");
    const group = uniqueName("g");
    const store = new DynamoDBCheckPointer({
      name: group,
      tableName: table,
      endpoint: proxy.endpoint,
      region: "us-east-1",
      credentials: testCredentials,
      sessionTimeout: 6,
      heartbeatFrequency: 0.5,
    });
    try {
      const session = await store.start({ streamName: uniqueName("s") });
      const resets = (): number => proxy.stats().byOperation["UpdateItem"]?.faults["reset-after"] ?? 0;
      const before = resets();
      proxy.setRules([{ operation: "UpdateItem", nth: 1, fault: { kind: "reset-after" } }]);
      const lease = await session.allocate("shard-0", { totalShards: 1 });
      expect(resets() - before).toBe(1);
      expect(lease).toBeDefined();
      expect((await session.get("shard-0"))?.owner).toBe(session.ref);
    } finally {
      proxy.setRules([]);
      await store.close();
    }
  });
});
