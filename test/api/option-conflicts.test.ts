/**
 * Options that contradict each other are a ConfigError at construction, naming the option and saying
 * what to write, rather than a silently ignored setting or a service error once the consumer starts.
 */
import { describe, expect, it } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import { ConfigError } from "../../src/errors.ts";

function configErrorOf(build: () => unknown): ConfigError {
  try {
    build();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("no ConfigError was thrown");
}

describe("Consumer option conflicts", () => {
  it("an AT_TIMESTAMP timestamp in milliseconds (Date.now()) is a ConfigError naming timestamp and saying seconds", () => {
    const ms = Date.now();
    const error = configErrorOf(() => new Consumer({ streamName: "s", region: "us-east-1", iteratorType: "AT_TIMESTAMP", timestamp: ms }));
    expect(error.option).toBe("timestamp");
    expect(error.message).toContain("seconds");
    expect(error.message).toContain(String(Math.floor(ms / 1000)));
  });

  it("epoch seconds and a Date are accepted with AT_TIMESTAMP", async () => {
    await using bySeconds = new Consumer({ streamName: "s", region: "us-east-1", iteratorType: "AT_TIMESTAMP", timestamp: Math.floor(Date.now() / 1000) });
    await using byDate = new Consumer({ streamName: "s", region: "us-east-1", iteratorType: "AT_TIMESTAMP", timestamp: new Date() });
    expect([bySeconds.streamName, byDate.streamName]).toEqual(["s", "s"]);
  });

  it.each([undefined, "LATEST", "TRIM_HORIZON"] as const)("a timestamp with iteratorType %s is a ConfigError that says to add AT_TIMESTAMP", (iteratorType) => {
    const error = configErrorOf(() =>
      new Consumer({ streamName: "s", region: "us-east-1", timestamp: new Date(), ...(iteratorType === undefined ? {} : { iteratorType }) })
    );
    expect(error.option).toBe("timestamp");
    expect(error.message).toContain('iteratorType: "AT_TIMESTAMP"');
  });
});
