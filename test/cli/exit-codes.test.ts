import { describe, expect, it } from "vitest";
import { CheckpointConflictError, ConfigError, LiveLeasesError } from "../../src/errors.ts";
import { ExitCode, exitCodeFor } from "../../src/node/cli/exit-codes.ts";

/**
 * The checkpoint verbs' refusals are expected outcomes a script acts on (stop the workers, or --force;
 * read the rows again), so they have their own status, distinct from 1 (failed records, or a bug).
 */
describe("CLI exit statuses of the checkpoint verbs' refusals", () => {
  it("live leases and a row changed while being written exit 5 (refused), not 1", () => {
    expect(ExitCode.refused).toBe(5);
    expect(exitCodeFor(new LiveLeasesError("reset", [{ shardId: "shardId-000000000000", owner: "app/w1" }]))).toBe(5);
    expect(exitCodeFor(new CheckpointConflictError("reset", [{ shardId: "shardId-000000000001", owner: "app/w2" }], ["shardId-000000000000"]))).toBe(5);
  });

  it("the other statuses stay as they were: a bug 1, a ConfigError 2", () => {
    expect(exitCodeFor(new Error("a bug"))).toBe(ExitCode.failed);
    expect(exitCodeFor(new ConfigError("to", "bad"))).toBe(ExitCode.usage);
    // Every status is distinct (scripts branch on them).
    expect(new Set(Object.values(ExitCode)).size).toBe(Object.values(ExitCode).length);
  });
});
