import { afterEach, describe, expect, inject, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { ConfigError } from "../../src/errors.ts";
import type { CheckPointer } from "../../src/checkpointers/types.ts";
import { dynamoLeaseDriver } from "../support/lease-drivers/dynamodb.ts";
import type { LeaseDriver, StoreTap } from "../support/lease-drivers/driver.ts";
import { memoryLeaseDriver } from "../support/lease-drivers/memory.ts";
import { redisLeaseDriver } from "../support/lease-drivers/redis.ts";
import { useRedisFixture } from "../support/redis-fixture.ts";
import { leaseWorkerIdTests } from "./lease-suite-worker-id.ts";
import type { SuiteContext } from "./lease-suite.ts";

/** The stable-workerId tests on the lease drivers: memory, DynamoDB (dynalite) and Redis. */
function runOn<Tap extends StoreTap>(label: string, driver: () => LeaseDriver<Tap>): void {
  describe(`${label} workerId`, () => {
    const opened: CheckPointer[] = [];
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((s) => s.close()));
    });
    let made: LeaseDriver<Tap> | undefined;
    const lazy = (): LeaseDriver<Tap> => (made ??= driver());
    const context: SuiteContext<Tap> = {
      get driver() {
        return lazy();
      },
      store(group, options) {
        const created = lazy().store(group, options);
        opened.push(created);
        return created;
      },
    };
    leaseWorkerIdTests(context);
  });
}

runOn("MemoryLeaseBackend", () => memoryLeaseDriver());
runOn("DynamoDBCheckPointer (dynalite)", () => dynamoLeaseDriver(() => inject("dynamodbEndpoint")));
const redis = useRedisFixture();
runOn("RedisCheckPointer", () => redisLeaseDriver(redis));

describe("workerId option", () => {
  it("giving both id and workerId is a ConfigError naming workerId", () => {
    let caught: unknown;
    try {
      new MemoryCheckPointer({ id: "label", workerId: "pod-1" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).option).toBe("workerId");
  });
});
