import { describe, expect, it } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerOptions } from "../../src/consumer/options.ts";

/** The stream options of a Consumer: one stream or several, each a clear ConfigError when wrong, before any request. */

const base = { region: "us-east-1", credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "test-secret-key-not-real" } };
const rejected = (options: Record<string, unknown>): unknown => {
  try {
    new Consumer({ ...base, ...options } as ConsumerOptions);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe("Consumer stream options", () => {
  it.each([
    [{ streamName: "a", streams: ["b"] }, "streams", "not both"],
    [{}, "streamName", "is required"],
    [{ streams: [] }, "streams", "at least one"],
    [{ streams: ["a", "b", "a"] }, "streams", 'names stream "a" twice'],
    [{ streams: ["orders", "arn:aws:kinesis:us-east-1:123456789012:stream/orders"] }, "streams", 'names stream "orders" twice'],
    [{ streams: ["a", ""] }, "streams[1]", "non-empty string"],
    [{ streams: ["a", 7] }, "streams[1]", "non-empty string"],
    [{ streams: "a" }, "streams", "array of stream names"],
    [{ streamName: ["a", "b"] }, "streamName", "give streams: [...]"],
    [{ streams: ["a"], streamDiscoveryInterval: 5 }, "streamDiscoveryInterval", "only when streams is a function"],
    [{ streams: () => ["a"], streamDiscoveryInterval: 0 }, "streamDiscoveryInterval", "> 0"],
  ])("%j is a ConfigError naming %s", (options, option, message) => {
    const error = rejected(options);
    expect(error).toMatchObject({ name: "ConfigError", option });
    expect((error as Error).message).toContain(message);
  });

  it("accepts stream names and ARNs, and reports them as given", async () => {
    const arn = "arn:aws:kinesis:us-east-1:123456789012:stream/payments";
    const consumer = new Consumer({ ...base, streams: ["orders", arn] });
    expect(consumer.streams).toEqual(["orders", arn]);
    expect(consumer.streamName).toBe("");
    await consumer.addStream("refunds");
    expect(await consumer.removeStream("orders")).toBe(true);
    expect(await consumer.removeStream("orders")).toBe(false);
    expect(consumer.streams).toEqual([arn, "refunds"]);
    await expect(consumer.addStream("payments")).rejects.toMatchObject({ name: "ConfigError", option: "addStream" });
    await expect(consumer.addStream("")).rejects.toMatchObject({ name: "ConfigError", option: "addStream" });
    await consumer.close();
    await expect(consumer.addStream("later")).rejects.toMatchObject({ name: "ClosedError" });
  });

  it("a consumer of one stream has no streams to add or remove", async () => {
    const consumer = new Consumer({ ...base, streamName: "orders" });
    expect(consumer.streams).toEqual(["orders"]);
    await expect(consumer.addStream("payments")).rejects.toMatchObject({ name: "ConfigError", option: "addStream" });
    await expect(consumer.removeStream("orders")).rejects.toMatchObject({ name: "ConfigError", option: "removeStream" });
    await consumer.close();
  });
});
