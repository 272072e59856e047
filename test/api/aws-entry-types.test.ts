/**
 * The types the public clients of `async-kinesis/aws` take are importable from that entry: a caller
 * can name the hooks it passes (`ClientHooks`, with its `AttemptObserver` and `BackoffPolicy`).
 * Checked by the compiler (tsconfig.test.json) and, for the hooks' meaning, at run time.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import { type AttemptObserver, type BackoffPolicy, type ClientHooks, type ClientOptions, type DynamoDBClient, KinesisClient } from "../../src/aws/index.ts";
import { createFakeAws } from "../../src/testing/index.ts";

describe("async-kinesis/aws exports the types of its clients' parameters", () => {
  it("ClientHooks is the second parameter of KinesisClient and DynamoDBClient, and names its observer and backoff types", () => {
    expectTypeOf<ConstructorParameters<typeof KinesisClient>>().toEqualTypeOf<[options?: ClientOptions, hooks?: ClientHooks]>();
    expectTypeOf<ConstructorParameters<typeof DynamoDBClient>>().toEqualTypeOf<[options?: ClientOptions, hooks?: ClientHooks]>();
    expectTypeOf<ClientHooks["onAttempt"]>().toEqualTypeOf<AttemptObserver | undefined>();
    expectTypeOf<ClientHooks["backoff"]>().toEqualTypeOf<BackoffPolicy | undefined>();
  });

  it("hooks typed as ClientHooks observe a client's attempts", async () => {
    const fake = createFakeAws();
    fake.kinesis.createStream("s", 1);
    const seen: Array<Parameters<AttemptObserver>[0]> = [];
    const backoff: BackoffPolicy = { baseMs: 1, throttlingBaseMs: 1, capMs: 1 };
    const hooks: ClientHooks = { onAttempt: (event) => seen.push(event), backoff };
    const client = new KinesisClient(fake.options, hooks);
    await client.listShards("s");
    expect(seen).toEqual([{ service: "kinesis", operation: "ListShards", attempt: 1 }]);
  });
});
