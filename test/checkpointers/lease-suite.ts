import { afterEach, describe } from "vitest";
import type { CheckPointer } from "../../src/checkpointers/types.ts";
import type { LeaseDriver, StoreTap, SuiteStoreOptions } from "../support/lease-drivers/driver.ts";
import { leaseLoadTests } from "./lease-suite-load.ts";
import { leaseLostAnswerTests } from "./lease-suite-lost-answers.ts";
import { leaseOwnershipTests } from "./lease-suite-ownership.ts";
import { leaseWriteTests } from "./lease-suite-writes.ts";

/**
 * One lease behaviour suite for every store (DynamoDB on dynalite and DynamoDB Local, Redis, memory):
 * several checkpointers of one group stand in for several processes. What every store must do the
 * same way lives here; what only one store has (Lua fencing, DynamoDB expressions and costs) stays
 * in that store's own test files. The checkpointer contract (contract.ts) pins the single-worker API.
 */
export interface SuiteContext<Tap extends StoreTap = StoreTap> {
  driver: LeaseDriver<Tap>;
  /** A checkpointer from the driver, closed after the test. */
  store(group: string, options?: SuiteStoreOptions<Tap>): CheckPointer;
}

export function runLeaseSuite<Tap extends StoreTap>(label: string, driver: LeaseDriver<Tap>): void {
  describe(`${label} lease behaviour`, () => {
    const opened: CheckPointer[] = [];
    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((s) => s.close()));
    });
    const context: SuiteContext<Tap> = {
      driver,
      store(group, options) {
        const created = driver.store(group, options);
        opened.push(created);
        return created;
      },
    };
    leaseOwnershipTests(context);
    leaseWriteTests(context);
    leaseLostAnswerTests(context);
    leaseLoadTests(context);
  });
}
