import { afterAll, beforeAll } from "vitest";
import type { RedisClientLike } from "../../src/checkpointers/redis/client.ts";
import { RedisCheckPointer } from "../../src/checkpointers/redis/store.ts";
import { uniqueName } from "../support/clients.ts";
import { connectRedis, ioredisShaped, type NodeRedis } from "../support/redis-clients.ts";
import { type LocalRedis, startRedis } from "../support/redis-server.ts";
import { runCheckpointerContract } from "./contract.ts";

/**
 * The shared checkpointer contract against a real redis-server (a missing binary fails the file).
 * Peers are second checkpointers on their own connection (another process, in effect; RESP2 where
 * the first speaks RESP3). The contract runs twice, through the node-redis shape (`sendCommand`) and
 * the ioredis shape (`call`).
 */

let server: LocalRedis;
let first: NodeRedis;
let second: NodeRedis;

beforeAll(async () => {
  server = await startRedis();
  first = await connectRedis(server.url);
  second = await connectRedis(server.url, { resp: 2 });
});

afterAll(async () => {
  await first?.close();
  await second?.close();
  await server?.close();
});

const timing = { sessionTimeout: 1.5, heartbeatFrequency: 0.3 };

for (
  const [shape, wrap] of [
    ["node-redis sendCommand", (client: NodeRedis): RedisClientLike => client],
    ["ioredis call", (client: NodeRedis): RedisClientLike => ioredisShaped(client)],
  ] as const
) {
  runCheckpointerContract(`RedisCheckPointer (redis-server, ${shape})`, {
    create: ({ autoCheckpoint, clock }) =>
      new RedisCheckPointer({ name: uniqueName("group"), client: wrap(first), autoCheckpoint, ...timing, ...(clock === undefined ? {} : { clock }) }),
    peer: (store) => {
      const original = store as RedisCheckPointer;
      return new RedisCheckPointer({ name: original.name, client: wrap(second), autoCheckpoint: original.autoCheckpoint, ...timing });
    },
    handoffWithinMs: 4000,
  });
}
