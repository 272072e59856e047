import { describe, expect, it } from "vitest";
import type { ClientOptions } from "../src/aws/client-options.ts";
import { DynamoDBCheckPointer, type DynamoDBCheckPointerOptions } from "../src/checkpointers/dynamodb/store.ts";
import { MemoryCheckPointer, type MemoryCheckPointerOptions } from "../src/checkpointers/memory.ts";
import type { RedisCheckPointerOptions } from "../src/checkpointers/redis/options.ts";
import { RedisCheckPointer } from "../src/checkpointers/redis/store.ts";
import { closestName, editDistance } from "../src/config/closest-name.ts";
import { Consumer } from "../src/consumer/consumer.ts";
import type { ConsumerOptions } from "../src/consumer/options.ts";
import { DynamoDBClient } from "../src/dynamodb/client.ts";
import { ConfigError } from "../src/errors.ts";
import { KinesisClient } from "../src/kinesis/client.ts";
import type { ProducerOptions } from "../src/producer/options.ts";
import { Producer } from "../src/producer/producer.ts";

/** The ConfigError `make` throws (the test fails if it throws nothing or something else). */
function configErrorOf(make: () => unknown): ConfigError {
  let thrown: unknown;
  try {
    make();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

const fakeRedis = { sendCommand: async () => null };
const base = { region: "us-east-1", endpoint: "http://127.0.0.1:9" };

describe("unknown option names", () => {
  it.each([
    ["Consumer", () => new Consumer({ ...base, streamName: "s", maxQueSize: 10 } as never), "maxQueSize", "maxQueueSize"],
    ["Producer", () => new Producer({ ...base, streamName: "s", bufferTiem: 1 } as never), "bufferTiem", "bufferTime"],
    ["DynamoDBCheckPointer", () => new DynamoDBCheckPointer({ ...base, name: "g", sesionTimeout: 5 } as never), "sesionTimeout", "sessionTimeout"],
    [
      "RedisCheckPointer",
      () => new RedisCheckPointer({ client: fakeRedis, name: "g", heartbeatFrequncy: 5 } as never),
      "heartbeatFrequncy",
      "heartbeatFrequency",
    ],
    ["MemoryCheckPointer", () => new MemoryCheckPointer({ autoChekpoint: false } as never), "autoChekpoint", "autoCheckpoint"],
    ["KinesisClient", () => new KinesisClient({ ...base, maxAtempts: 2 } as never), "maxAtempts", "maxAttempts"],
    ["DynamoDBClient", () => new DynamoDBClient({ ...base, attemptTimout: 2 } as never), "attemptTimout", "attemptTimeout"],
  ])("%s rejects a misspelt option with a ConfigError naming it and the closest known name", (what, make, typo, meant) => {
    const error = configErrorOf(make);
    expect(error.option).toBe(typo);
    expect(error.message).toBe(`${typo}: unknown option in ${what} options; did you mean "${meant}"?`);
  });

  it("checks the keys of a static credentials object too, naming the dotted path", () => {
    const credentials = { accessKeyId: "AKID", secretAccessKey: "s", sesionToken: "t" };
    for (const make of [() => new KinesisClient({ credentials } as never), () => new Consumer({ streamName: "s", credentials } as never)]) {
      const error = configErrorOf(make);
      expect(error.option).toBe("credentials.sesionToken");
      expect(error.message).toContain('did you mean "credentials.sessionToken"?');
    }
  });

  it("accepts the extra fields of the AWS SDK's credential objects (credentialScope, accountId)", () => {
    const credentials = { accessKeyId: "AKID", secretAccessKey: "s", credentialScope: "us-east-1", accountId: "123456789012", expiration: new Date() };
    expect(new KinesisClient({ region: "us-east-1", credentials }).http.region).toBe("us-east-1");
  });

  it("accepts a credentials object the AWS SDK has written its `$source` bookkeeping into", () => {
    const credentials = Object.assign({ accessKeyId: "AKID", secretAccessKey: "s" }, { $source: { CREDENTIALS_CODE: "e" } });
    expect(new KinesisClient({ region: "us-east-1", credentials }).http.region).toBe("us-east-1");
  });

  it("finds the camelCase name for a Python library's snake_case one", () => {
    const error = configErrorOf(() => new DynamoDBCheckPointer({ name: "g", endpoint_url: "http://127.0.0.1:9" } as never));
    expect(error.message).toContain('did you mean "endpoint"?');
    expect(configErrorOf(() => new DynamoDBCheckPointer({ name: "g", session_timeout: 5 } as never)).message).toContain('did you mean "sessionTimeout"?');
  });

  it("lists the known options when nothing is close", () => {
    const error = configErrorOf(() => new MemoryCheckPointer({ banana: 1 } as never));
    expect(error.option).toBe("banana");
    expect(error.message).toContain("known options: ");
    expect(error.message).toContain("sessionTimeout");
  });

  it("rejects an unknown key even when its value is undefined", () => {
    expect(configErrorOf(() => new Producer({ streamName: "s", batchSise: undefined } as never)).option).toBe("batchSise");
  });

  it("leaves option values that are objects of their own (a clock, a processor, a signal) unchecked", () => {
    const clock = { now: () => 0, sleep: async () => undefined, extra: true };
    expect(() => new KinesisClient({ ...base, clock })).not.toThrow();
    expect(() => new MemoryCheckPointer({ clock })).not.toThrow();
  });
});

/**
 * Every option the public types declare, each left unset. `satisfies Record<keyof ...>` makes the
 * type-check fail when an option is added to a type and not here, so a type's option that the
 * schema would reject as unknown cannot slip through.
 */
const client = {
  region: undefined,
  endpoint: undefined,
  credentials: undefined,
  fetch: undefined,
  maxAttempts: undefined,
  attemptTimeout: undefined,
  clock: undefined,
  random: undefined,
} satisfies Record<keyof ClientOptions, undefined>;
const lease = {
  sessionTimeout: undefined,
  heartbeatFrequency: undefined,
  autoCheckpoint: undefined,
  checkpointInterval: undefined,
  ttlHours: undefined,
  id: undefined,
  workerId: undefined,
};
const everyOption = {
  Consumer: {
    ...client,
    streamName: "s",
    streams: undefined,
    streamDiscoveryInterval: undefined,
    checkpointer: undefined,
    processor: undefined,
    iteratorType: undefined,
    timestamp: undefined,
    maxQueueSize: undefined,
    maxQueueBytes: undefined,
    recordLimit: undefined,
    shardFetchRate: undefined,
    sleepTimeNoRecords: undefined,
    idleTimeout: undefined,
    stopAfter: undefined,
    maxShardConsumers: undefined,
    maxBytesPerSecond: undefined,
    shardRefreshInterval: undefined,
    onDecodeError: undefined,
    kplHashRangeCheck: undefined,
    onEvent: undefined,
    signal: undefined,
    handleSignals: undefined,
    fanOut: undefined,
  } satisfies Record<keyof ConsumerOptions, unknown>,
  Producer: {
    ...client,
    streamName: "s",
    processor: undefined,
    bufferTime: undefined,
    sendWhenIdle: undefined,
    batchSize: undefined,
    maxQueueSize: undefined,
    putRateLimitPerShard: undefined,
    putBandwidthLimitPerShard: undefined,
    ordered: undefined,
    concurrency: undefined,
    maxRetainedFailures: undefined,
    afterFlush: undefined,
    signal: undefined,
  } satisfies Record<keyof ProducerOptions, unknown>,
  DynamoDBCheckPointer: {
    ...client,
    ...lease,
    name: "g",
    tableName: undefined,
    createTable: undefined,
    tags: undefined,
    pointInTimeRecovery: undefined,
    groupIndex: undefined,
    onEvent: undefined,
  } satisfies Record<
    keyof DynamoDBCheckPointerOptions,
    unknown
  >,
  RedisCheckPointer: {
    ...lease,
    name: "g",
    client: fakeRedis,
    keyPrefix: undefined,
    clock: undefined,
    commandTimeout: undefined,
    maxAttempts: undefined,
  } satisfies Record<keyof RedisCheckPointerOptions, unknown>,
  MemoryCheckPointer: { ...lease, name: undefined, clock: undefined } satisfies Record<keyof MemoryCheckPointerOptions, unknown>,
};

describe("known option names", () => {
  it("every option the public types declare is accepted by its schema", () => {
    expect(() => new Consumer(everyOption.Consumer as never)).not.toThrow();
    expect(() => new Producer(everyOption.Producer as never)).not.toThrow();
    expect(() => new DynamoDBCheckPointer(everyOption.DynamoDBCheckPointer as never)).not.toThrow();
    expect(() => new RedisCheckPointer(everyOption.RedisCheckPointer as never)).not.toThrow();
    expect(() => new MemoryCheckPointer(everyOption.MemoryCheckPointer as never)).not.toThrow();
    expect(() => new KinesisClient(client as never)).not.toThrow();
    expect(() => new DynamoDBClient(client as never)).not.toThrow();
  });
});

describe("closestName", () => {
  it("counts a swap of two adjacent characters as one edit", () => {
    expect(editDistance("sesisonTimeout", "sessionTimeout")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });

  it("prefers the nearest name and refuses to guess wildly", () => {
    expect(closestName("ttlHour", ["ttlHours", "tableName"])).toBe("ttlHours");
    expect(closestName("xyz", ["ttlHours", "tableName"])).toBeUndefined();
  });
});
