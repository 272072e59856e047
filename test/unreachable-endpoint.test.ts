import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, inject, it } from "vitest";
import { DynamoDBCheckPointer } from "../src/checkpointers/dynamodb/store.ts";
import { Consumer } from "../src/consumer/consumer.ts";
import type { ConsumerEvent } from "../src/consumer/events.ts";
import { NetworkError } from "../src/errors.ts";
import { Producer } from "../src/producer/producer.ts";
import { createStream, localKinesis, testCredentials } from "./support/clients.ts";
import { closedLoopbackEndpoint } from "./support/closed-port.ts";
import { type Item, putItems } from "./support/delivery-checks.ts";
import { startFaultProxy } from "./support/fault-proxy.ts";
import { closeAfterEach, outcomeWithin } from "./support/outcome.ts";

const closers = closeAfterEach();

function expectUnreachable(outcome: unknown, endpoint: string): void {
  expect(outcome).toBeInstanceOf(NetworkError);
  const message = (outcome as NetworkError).message;
  expect(message).toContain("ECONNREFUSED");
  expect(message).toContain(endpoint);
}

// No jitter: the client's backoff sleeps 0 ms, so giving up takes milliseconds, not seconds.
const fast = { region: "us-east-1", credentials: testCredentials, maxAttempts: 3, random: () => 0 } as const;

describe("an endpoint that never answered", () => {
  it("a consumer pointed at a closed port fails its iterator with a NetworkError naming ECONNREFUSED", async () => {
    const endpoint = await closedLoopbackEndpoint();
    const consumer = new Consumer({ ...fast, streamName: "nowhere", endpoint });
    closers.push(() => consumer.close());
    const outcome = await outcomeWithin(
      (async () => {
        for await (const _ of consumer) expect.unreachable();
      })(),
      10_000,
    );
    expectUnreachable(outcome, endpoint);
  });

  it("a consumer pointed at a closed port rejects waitReady() with a NetworkError naming ECONNREFUSED", async () => {
    const endpoint = await closedLoopbackEndpoint();
    const consumer = new Consumer({ ...fast, streamName: "nowhere", endpoint });
    closers.push(() => consumer.close());
    expectUnreachable(await outcomeWithin(consumer.waitReady(), 10_000), endpoint);
  });

  it("a producer pointed at a closed port rejects put and flush instead of hanging", async () => {
    const endpoint = await closedLoopbackEndpoint();
    const producer = new Producer({ ...fast, streamName: "nowhere", endpoint });
    closers.push(() => producer.close());
    const put = await outcomeWithin(producer.put({ n: 1 }, "key"), 10_000);
    expect(put).toBeInstanceOf(Error);
    expect(String((put as Error).message)).toContain("ECONNREFUSED");
    const flushed = await outcomeWithin(producer.flush(), 10_000);
    expectUnreachable(flushed, endpoint);
  });

  it("a consumer whose DynamoDBCheckPointer endpoint is a closed port fails with a NetworkError instead of hanging", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "dead-checkpointer");
    const dynamoEndpoint = await closedLoopbackEndpoint();
    const checkpointer = new DynamoDBCheckPointer({ ...fast, name: "dead-table", endpoint: dynamoEndpoint });
    const consumer = new Consumer({ ...fast, streamName: stream, endpoint: inject("kinesisEndpoint"), checkpointer });
    closers.push(() => checkpointer.close(), () => consumer.close());
    expectUnreachable(await outcomeWithin(consumer.waitReady(), 10_000), dynamoEndpoint);
  });
});

describe("an endpoint that accepts connections but never answers", () => {
  it("a consumer whose every attempt times out fails with a NetworkError instead of retrying forever", async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          silent.closeAllConnections();
          silent.close(() => resolve());
        }),
    );
    const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const consumer = new Consumer({ ...fast, maxAttempts: 2, attemptTimeout: 0.1, streamName: "nowhere", endpoint });
    closers.push(() => consumer.close());
    const outcome = await outcomeWithin(consumer.waitReady(), 10_000);
    expect(outcome).toBeInstanceOf(NetworkError);
    expect((outcome as NetworkError).message).toMatch(/took longer than 100 ms .*has not answered any of 2 attempts/);
  });
});

describe("an endpoint that has answered", () => {
  it("a consumer that has reached Kinesis keeps retrying through an outage far longer than maxAttempts", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "outage");
    await putItems(kinesis, stream, "before", 0, 5);
    const proxy = await startFaultProxy({ target: inject("kinesisEndpoint"), seed: 3 });
    closers.push(() => proxy.close());
    const events: ConsumerEvent[] = [];
    const consumer = new Consumer<Item>({ ...fast, maxAttempts: 2, streamName: stream, endpoint: proxy.endpoint, onEvent: (e) => events.push(e) });
    closers.push(() => consumer.close());
    const iterator = consumer[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) expect((await iterator.next()).value).toEqual({ id: `before-${i}` });
    // Every request is refused for a while: five times the attempts one call makes, and more.
    proxy.setRules([{ first: 10, fault: { kind: "reset-before" } }]);
    await putItems(kinesis, stream, "after", 0, 3);
    for (let i = 0; i < 3; i++) expect((await iterator.next()).value).toEqual({ id: `after-${i}` });
    expect(proxy.stats().faults).toBe(10);
    const retried = events.filter((e) => e.type === "error" && e.errorName === "NetworkError");
    expect(retried.length).toBeGreaterThanOrEqual(4);
    expect(retried.every((e) => e.type === "error" && e.willRetry)).toBe(true);
  });
});
