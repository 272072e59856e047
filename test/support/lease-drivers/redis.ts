import { createHash } from "node:crypto";
import { redisCaller, type SendCommandClient } from "../../../src/checkpointers/redis/client.ts";
import { RedisLeaseBackend } from "../../../src/checkpointers/redis/lease-backend.ts";
import { LeaseRows } from "../../../src/checkpointers/redis/lease-rows.ts";
import { CANCEL_HANDOFF, OWNER_WRITE, REQUEST_HANDOFF, TAKE } from "../../../src/checkpointers/redis/lua.ts";
import { KeySpace } from "../../../src/checkpointers/redis/rows.ts";
import { ScriptRunner } from "../../../src/checkpointers/redis/scripts.ts";
import { RedisCheckPointer } from "../../../src/checkpointers/redis/store.ts";
import { systemClock } from "../../../src/internal/clock.ts";
import { command, rawHash } from "../redis-clients.ts";
import { type RedisFixture, redisRowKey } from "../redis-fixture.ts";
import { CallGate } from "./call-gate.ts";
import type { LeaseDriver, RawRow, StoreTap } from "./driver.ts";

/** The scripts that write a row, by source and by the hash EVALSHA names them with. */
const WRITE_SCRIPTS = new Set(
  [TAKE, OWNER_WRITE, REQUEST_HANDOFF, CANCEL_HANDOFF].flatMap((source) => [source, createHash("sha1").update(source).digest("hex")]),
);

function isWrite(args: readonly string[]): boolean {
  return (args[0] === "EVALSHA" || args[0] === "EVAL") && WRITE_SCRIPTS.has(args[1] ?? "");
}

/**
 * A store tap for Redis: a client (node-redis shape) in front of the file's connection. A held
 * command waits in the client; node-redis cannot cancel a sent command, so neither can this one.
 */
export class RedisTap extends CallGate implements StoreTap {
  readonly client: SendCommandClient;

  constructor(inner: () => SendCommandClient) {
    super();
    this.client = {
      sendCommand: async (args: string[]): Promise<unknown> => {
        const late = await this.pass();
        if (isWrite(args)) {
          if (this.write()) throw new Error("Socket closed unexpectedly");
          if (late) this.arrivedLate(args);
        }
        return inner().sendCommand(args);
      },
    };
  }
}

/** Another worker's takeover in one atomic step: its ref, and the counter bumped. */
const TAKE_OVER = "redis.call('HSET', KEYS[1], 'ref', ARGV[1]); return redis.call('HINCRBY', KEYS[1], 'lease_counter', 1)";

/** Redis's driver on the file's redis-server and connection (`useRedisFixture`). */
export function redisLeaseDriver(fixture: RedisFixture): LeaseDriver<RedisTap> {
  return {
    abandonsHeldCalls: false,
    store: (group, options = {}) =>
      new RedisCheckPointer({
        name: group,
        client: options.tap?.client ?? fixture.redis,
        sessionTimeout: options.sessionTimeout ?? 1.5,
        heartbeatFrequency: options.heartbeatFrequency ?? 0.3,
        checkpointInterval: options.checkpointInterval ?? 0.1,
        autoCheckpoint: options.autoCheckpoint ?? true,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
      }),
    tap: () => new RedisTap(() => fixture.redis),
    async rawRow(group, stream, shardId): Promise<RawRow | undefined> {
      const hash = await rawHash(fixture.redis, redisRowKey(group, stream, shardId));
      if (Object.keys(hash).length === 0) return undefined;
      return { owner: hash["ref"], sequence: hash["sequence"], finished: hash["finished"] === "1", counter: Number(hash["lease_counter"]) };
    },
    async takeOver(group, stream, shardId, owner) {
      await command(fixture.redis, "EVAL", TAKE_OVER, "1", redisRowKey(group, stream, shardId), owner);
    },
    backend: (group, stream) =>
      new RedisLeaseBackend({
        rows: new LeaseRows(new ScriptRunner(redisCaller(fixture.redis)), new KeySpace("async-kinesis", group)),
        options: { ttlMs: 3_600_000, clock: systemClock },
        stream,
        retentionHours: 24,
        incarnation: undefined,
      }),
  };
}
