import { afterAll, beforeAll } from "vitest";
import { RedisCheckPointer } from "../../src/checkpointers/redis/store.ts";
import { uniqueName } from "../support/clients.ts";
import { connectRedis, type NodeRedis } from "../support/redis-clients.ts";
import { type LocalRedis, startRedis } from "../support/redis-server.ts";
import { runManyStreamsSuite } from "./many-streams.ts";

/** One Consumer over several streams, leasing through RedisCheckPointer on a real redis-server. */

let server: LocalRedis | undefined;
let redis: NodeRedis | undefined;

beforeAll(async () => {
  server = await startRedis();
  redis = await connectRedis(server.url);
});
afterAll(async () => {
  await redis?.close();
  await server?.close();
});

runManyStreamsSuite("Redis", {
  make: (group) => {
    if (redis === undefined) throw new Error("Redis is used before beforeAll ran");
    return new RedisCheckPointer({ name: group, client: redis, sessionTimeout: 3, heartbeatFrequency: 0.5, checkpointInterval: 0.2 });
  },
}, () => uniqueName("app"));
