import { describe, expect, it } from "vitest";
import { DenoKvCheckPointer, type DenoKvCheckPointerOptions } from "../../src/checkpointers/deno-kv/store.ts";
import { DurableObjectCheckPointer, type DurableObjectCheckPointerOptions } from "../../src/checkpointers/durable-object/store.ts";
import type { DurableObjectStorageLike } from "../../src/checkpointers/durable-object/storage.ts";
import type { DenoKvLike } from "../../src/checkpointers/deno-kv/kv.ts";
import { ConfigError } from "../../src/errors.ts";

/** Options of the platform checkpointers: bad input is a ConfigError naming the option. */

const storage = { get: async () => undefined, list: async () => new Map(), transaction: async () => undefined } as unknown as DurableObjectStorageLike;
const kv = { get: async () => ({ value: null, versionstamp: null }), list: async function* () {}, atomic: () => ({}) } as unknown as DenoKvLike;

function configErrorOf(make: () => unknown): ConfigError {
  try {
    make();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("no ConfigError");
}

describe("DurableObjectCheckPointer options", () => {
  it("needs the object's storage, naming the option", () => {
    expect(configErrorOf(() => new DurableObjectCheckPointer({ name: "g" } as never)).option).toBe("storage");
    expect(configErrorOf(() => new DurableObjectCheckPointer({ name: "g", storage: {} as DurableObjectStorageLike })).message).toMatch(/ctx\.storage/);
  });

  it("refuses ttlHours (storage keys never expire) and a key prefix with a colon", () => {
    expect(configErrorOf(() => new DurableObjectCheckPointer({ name: "g", storage, ttlHours: 1 } as never)).option).toBe("ttlHours");
    expect(configErrorOf(() => new DurableObjectCheckPointer({ name: "g", storage, keyPrefix: "a:b" })).option).toBe("keyPrefix");
  });

  it("refuses a stream name that cannot be part of a storage key", async () => {
    const checkpointer = new DurableObjectCheckPointer({ name: "g", storage });
    await expect(checkpointer.start({ streamName: "a:b" })).rejects.toMatchObject({ name: "ConfigError", option: "streamName" });
  });

  it("takes the shared lease options with their rules", () => {
    expect(configErrorOf(() => new DurableObjectCheckPointer({ name: "g", storage, sessionTimeout: 5, heartbeatFrequency: 10 })).option).toBe(
      "heartbeatFrequency",
    );
    expect(new DurableObjectCheckPointer({ name: "g", storage, autoCheckpoint: false })).toMatchObject({
      name: "g",
      keyPrefix: "async-kinesis",
      autoCheckpoint: false,
    });
  });
});

describe("DenoKvCheckPointer options", () => {
  it("needs an open Deno.Kv, naming the option", () => {
    expect(configErrorOf(() => new DenoKvCheckPointer({ name: "g" } as never)).option).toBe("kv");
    expect(configErrorOf(() => new DenoKvCheckPointer({ name: "g", kv: {} as DenoKvLike })).message).toMatch(/Deno\.openKv/);
  });

  it("refuses an empty key prefix and a group name that cannot be part of a key", () => {
    expect(configErrorOf(() => new DenoKvCheckPointer({ name: "g", kv, keyPrefix: "" })).option).toBe("keyPrefix");
    expect(configErrorOf(() => new DenoKvCheckPointer({ name: "a/b", kv })).option).toBe("name");
  });
});

describe("option names of the platform checkpointers", () => {
  const lease = {
    sessionTimeout: undefined,
    heartbeatFrequency: undefined,
    autoCheckpoint: undefined,
    checkpointInterval: undefined,
    id: undefined,
    workerId: undefined,
  };

  it("every option the public types declare is accepted by its schema", () => {
    const durableObject = { ...lease, name: "g", storage, keyPrefix: undefined, clock: undefined } satisfies Record<
      keyof DurableObjectCheckPointerOptions,
      unknown
    >;
    const denoKv = { ...lease, name: "g", kv, keyPrefix: undefined, clock: undefined, ttlHours: undefined } satisfies Record<
      keyof DenoKvCheckPointerOptions,
      unknown
    >;
    expect(() => new DurableObjectCheckPointer(durableObject)).not.toThrow();
    expect(() => new DenoKvCheckPointer(denoKv)).not.toThrow();
  });

  it("a misspelt option is a ConfigError naming it and the closest known name", () => {
    const error = configErrorOf(() => new DenoKvCheckPointer({ name: "g", kv, keyPrefx: "x" } as never));
    expect(error.option).toBe("keyPrefx");
    expect(error.message).toMatch(/keyPrefix/);
  });
});
