import { createClient } from "redis";
import { describe, expect, inject, it } from "vitest";
import type { SendCommandClient } from "../../src/checkpointers/redis/client.ts";
import { RedisCheckPointer } from "../../src/checkpointers/redis/store.ts";
import { Consumer } from "../../src/consumer/consumer.ts";
import { RedisCommandError } from "../../src/errors.ts";
import { createStream, localKinesis, testCredentials } from "../support/clients.ts";
import { closedLoopbackEndpoint } from "../support/closed-port.ts";
import { useRedisFixture } from "../support/redis-fixture.ts";
import { closeAfterEach, outcomeWithin } from "../support/outcome.ts";

/**
 * A RedisCheckPointer whose server has never replied must end the consumer with a typed error naming
 * the cause, after a bounded number of commands, instead of retrying (or waiting) forever.
 */

const closers = closeAfterEach();

// No jitter: the consumer's start-up retries sleep only their fixed 100 ms.
const fast = { region: "us-east-1", credentials: testCredentials, random: () => 0 } as const;

async function consumerOn(checkpointer: RedisCheckPointer): Promise<Consumer> {
  const stream = await createStream(localKinesis(), 1, "redis-unreachable");
  const consumer = new Consumer({ ...fast, streamName: stream, endpoint: inject("kinesisEndpoint"), checkpointer });
  closers.push(() => consumer.close(), () => checkpointer.close());
  return consumer;
}

/** A client that counts its commands and refuses every one the way a client without a connection does. */
function refusingClient(): SendCommandClient & { calls: number } {
  const client = {
    calls: 0,
    sendCommand(): Promise<unknown> {
      client.calls++;
      const inner = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6390"), { code: "ECONNREFUSED" });
      return Promise.reject(new Error("Socket closed unexpectedly", { cause: inner }));
    },
  };
  return client;
}

describe("a Redis server that never replied", () => {
  it("a consumer whose node-redis client queues commands forever (closed port) fails with a RedisCommandError after maxAttempts command timeouts", async () => {
    const url = (await closedLoopbackEndpoint()).replace("http:", "redis:");
    const redis = createClient({ url });
    redis.on("error", () => undefined); // reconnect attempts report here; the checkpointer must not need them
    void redis.connect().catch(() => undefined); // never settles: node-redis keeps reconnecting
    closers.push(async () => redis.destroy());
    const checkpointer = new RedisCheckPointer({ name: "never-replies", client: redis, commandTimeout: 0.2, maxAttempts: 3 });
    const consumer = await consumerOn(checkpointer);
    const outcome = await outcomeWithin(consumer.waitReady(), 20_000);
    expect(outcome).toBeInstanceOf(RedisCommandError);
    expect(outcome).toMatchObject({ retryable: false, neverAnswered: true, replyCode: undefined });
    expect((outcome as Error).message).toMatch(/no reply within 0\.2 s .*has not replied to any of 3 commands/);
    // The iterator reports the same failure instead of waiting.
    const iterated = await outcomeWithin(
      (async () => {
        for await (const _ of consumer) expect.unreachable();
      })(),
      5_000,
    );
    expect(iterated).toBe(outcome);
  });

  it("a client that rejects every command with ECONNREFUSED ends the consumer with a non-retryable RedisCommandError naming ECONNREFUSED", async () => {
    const client = refusingClient();
    const checkpointer = new RedisCheckPointer({ name: "refused", client, maxAttempts: 4 });
    const consumer = await consumerOn(checkpointer);
    const outcome = await outcomeWithin(consumer.waitReady(), 20_000);
    expect(outcome).toBeInstanceOf(RedisCommandError);
    expect(outcome).toMatchObject({ retryable: false, neverAnswered: true });
    expect((outcome as Error).message).toContain("ECONNREFUSED 127.0.0.1:6390");
    expect(client.calls).toBe(4);
  });

  it("a node-redis client that was never connected (ClientClosedError) is named in the error", async () => {
    const redis = createClient({ url: "redis://127.0.0.1:6390" });
    const checkpointer = new RedisCheckPointer({ name: "not-connected", client: redis, maxAttempts: 2 });
    const consumer = await consumerOn(checkpointer);
    const outcome = await outcomeWithin(consumer.waitReady(), 20_000);
    expect(outcome).toMatchObject({ name: "RedisCommandError", neverAnswered: true });
    expect((outcome as Error).message).toContain("The client is closed");
  });
});

describe("a Redis server that has replied", () => {
  const fixture = useRedisFixture();

  it("failures without a reply after a first reply stay retryable, whatever their number", async () => {
    let refusing = false;
    const flaky: SendCommandClient = {
      sendCommand: (args) => (refusing ? Promise.reject(new Error("Socket closed unexpectedly")) : fixture.redis.sendCommand(args)),
    };
    const checkpointer = new RedisCheckPointer({ name: "answered-once", client: flaky, maxAttempts: 2 });
    closers.push(() => checkpointer.close());
    expect(await checkpointer.listCheckpoints()).toEqual([]);
    refusing = true;
    for (let i = 0; i < 5; i++) {
      const error = await checkpointer.listCheckpoints().then(() => undefined, (e: unknown) => e);
      expect(error).toMatchObject({ name: "RedisCommandError", retryable: true, neverAnswered: false });
    }
  });

  it("a command that never settles after a first reply is abandoned after commandTimeout as a retryable failure", async () => {
    let silent = false;
    const client: SendCommandClient = {
      sendCommand: (args) => (silent ? new Promise<unknown>(() => undefined) : fixture.redis.sendCommand(args)),
    };
    const checkpointer = new RedisCheckPointer({ name: "silent-later", client, commandTimeout: 0.1, maxAttempts: 1 });
    closers.push(() => checkpointer.close());
    await checkpointer.listCheckpoints();
    silent = true;
    const error = await outcomeWithin(checkpointer.listCheckpoints(), 5_000);
    expect(error).toMatchObject({ name: "RedisCommandError", retryable: true, neverAnswered: false });
    expect((error as Error).message).toContain("no reply within 0.1 s");
  });
});
