import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { clientOptionEntries } from "../../src/aws/client-options.ts";
import { schema as denoKvSchema } from "../../src/checkpointers/deno-kv/store.ts";
import { schema as durableObjectSchema } from "../../src/checkpointers/durable-object/store.ts";
import { schema as dynamoDbSchema } from "../../src/checkpointers/dynamodb/options.ts";
import { optionsSchema as memorySchema } from "../../src/checkpointers/memory.ts";
import { schema as redisSchema } from "../../src/checkpointers/redis/options.ts";
import { parseOptions } from "../../src/config/validate.ts";
import { schema as consumerSchema } from "../../src/consumer/options.ts";
import { ConfigError } from "../../src/errors.ts";
import { schema as producerSchema } from "../../src/producer/options.ts";

const fn = (): undefined => undefined;

/** Each public options object: its schema and the least it needs to be valid, so one wrong option is the only issue. */
const publicOptions: Array<{ what: string; schema: v.ObjectSchema<v.ObjectEntries, undefined>; base: Record<string, unknown> }> = [
  { what: "Consumer", schema: consumerSchema, base: { streamName: "s" } },
  { what: "Producer", schema: producerSchema, base: { streamName: "s" } },
  { what: "KinesisClient", schema: v.object(clientOptionEntries), base: {} },
  { what: "DynamoDBCheckPointer", schema: dynamoDbSchema, base: { name: "group" } },
  { what: "RedisCheckPointer", schema: redisSchema, base: { name: "group", client: { sendCommand: fn } } },
  { what: "MemoryCheckPointer", schema: memorySchema, base: {} },
  { what: "DenoKvCheckPointer", schema: denoKvSchema, base: { name: "group", kv: { get: fn, list: fn, atomic: fn } } },
  { what: "DurableObjectCheckPointer", schema: durableObjectSchema, base: { name: "group", storage: { get: fn, list: fn, transaction: fn } } },
];

function messageFor(schema: v.GenericSchema, input: Record<string, unknown>, what: string): ConfigError {
  try {
    parseOptions(schema, input, what);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`${what} accepted ${JSON.stringify(Object.keys(input))}`);
}

function expectPlainMessage(error: ConfigError, option: string): void {
  expect(error.option).toBe(option);
  expect(error.message).not.toMatch(/Invalid|Expected/);
  // Named in the explanation itself, not only in the "option:" prefix ConfigError adds.
  expect(error.message.slice(option.length + 2)).toContain(option);
  expect(error.message).toContain("got ");
}

describe("option errors say what to write, without validator jargon", () => {
  for (const { what, schema, base } of publicOptions) {
    it(`every ${what} option given a wrong type names the option and the expected form`, () => {
      expect(() => parseOptions(schema, base, what)).not.toThrow();
      for (const option of Object.keys(schema.entries)) {
        expectPlainMessage(messageFor(schema, { ...base, [option]: Symbol("wrong") }, what), option);
        // Other wrong forms, where they are wrong for this option: still plain words.
        for (const wrong of ["5", -1, 0, Number.NaN, true, {}, [], "", "bad value!", null]) {
          try {
            parseOptions(schema, { ...base, [option]: wrong }, what);
          } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            expect((error as ConfigError).message).not.toMatch(/Invalid|Expected/);
            expect((error as ConfigError).option.startsWith(option)).toBe(true);
          }
        }
      }
    });
  }

  it("nested options (stopAfter.*, credentials.*) given a wrong type name the full path", () => {
    for (const bound of ["records", "seconds", "requests"]) {
      expectPlainMessage(messageFor(consumerSchema, { streamName: "s", stopAfter: { [bound]: "5" } }, "Consumer"), `stopAfter.${bound}`);
    }
    for (const field of ["accessKeyId", "secretAccessKey", "sessionToken", "expiration"]) {
      const credentials: Record<string, unknown> = { accessKeyId: "AKID", secretAccessKey: "secret", [field]: 42 };
      const error = messageFor(producerSchema, { streamName: "s", credentials }, "Producer");
      expect(error.message).not.toMatch(/Invalid|Expected/);
      expect(error.message).toContain("credentials");
    }
  });

  it("a number given as a string is echoed so the fix is obvious", () => {
    const error = messageFor(consumerSchema, { streamName: "s", shardFetchRate: "5" }, "Consumer");
    expect(error.message).toContain("shardFetchRate must be a number of calls per second");
    expect(error.message).toContain('(got "5";');
  });

  it("a secret given in the wrong form is never echoed", () => {
    const error = messageFor(producerSchema, { streamName: "s", credentials: { accessKeyId: "AKID", secretAccessKey: ["hunter2-secret"] } }, "Producer");
    expect(error.message).not.toContain("hunter2");
  });
});
