import { afterEach, describe } from "vitest";
import type { CheckPointer } from "../../src/checkpointers/types.ts";
import type { LeaseDriver, StoreTap } from "../support/lease-drivers/driver.ts";
import { leaseWorkerIdTests } from "./lease-suite-worker-id.ts";
import type { SuiteContext } from "./lease-suite.ts";

/** The stable-workerId tests (lease-suite-worker-id.ts) on one more driver, as worker-id.test.ts runs them on the others. */
export function runWorkerIdTests<Tap extends StoreTap>(label: string, driver: LeaseDriver<Tap>): void {
  describe(`${label} workerId`, () => {
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
    leaseWorkerIdTests(context);
  });
}
