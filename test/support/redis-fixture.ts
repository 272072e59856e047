import { afterAll, afterEach, beforeAll } from "vitest";
import { RedisCheckPointer, type RedisCheckPointerOptions } from "../../src/checkpointers/redis/store.ts";
import { connectRedis, type NodeRedis } from "./redis-clients.ts";
import { type LocalRedis, startRedis } from "./redis-server.ts";

export interface RedisFixture {
  /** The file's client (set once `beforeAll` has run). */
  readonly redis: NodeRedis;
  /** A checkpointer on the file's server with fast lease timing; closed after each test. */
  store(name: string, extra?: Partial<RedisCheckPointerOptions>): RedisCheckPointer;
}

/**
 * For a test file: a real redis-server (a missing binary fails the file) and one client, both for
 * the whole file; checkpointers made with `store` are closed after each test.
 */
export function useRedisFixture(): RedisFixture {
  let server: LocalRedis | undefined;
  let client: NodeRedis | undefined;
  const opened: RedisCheckPointer[] = [];
  beforeAll(async () => {
    server = await startRedis();
    client = await connectRedis(server.url);
  });
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((s) => s.close()));
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });
  const fixture: RedisFixture = {
    get redis(): NodeRedis {
      if (client === undefined) throw new Error("the Redis fixture is used before beforeAll ran");
      return client;
    },
    store(name, extra = {}) {
      const created = new RedisCheckPointer({
        name,
        client: fixture.redis,
        sessionTimeout: 1.5,
        heartbeatFrequency: 0.3,
        checkpointInterval: 0.1,
        ...extra,
      });
      opened.push(created);
      return created;
    },
  };
  return fixture;
}

/** A row's key as RedisCheckPointer names it. */
export function redisRowKey(group: string, stream: string, shardId: string, prefix = "async-kinesis"): string {
  return `${prefix}:{${group}}:${stream}:${shardId}`;
}
