import { expect, it } from "vitest";
import { MemoryCheckPointer } from "../../src/checkpointers/memory.ts";
import { ConfigError } from "../../src/errors.ts";
import { runCheckpointerContract } from "./contract.ts";

runCheckpointerContract("MemoryCheckPointer", {
  create: ({ autoCheckpoint, clock }) => new MemoryCheckPointer({ name: "group", autoCheckpoint, ...(clock === undefined ? {} : { clock }) }),
});

it("MemoryCheckPointer rejects bad options with a ConfigError naming the option", () => {
  expect(() => new MemoryCheckPointer({ name: "" })).toThrow(ConfigError);
  expect(() => new MemoryCheckPointer({ autoCheckpoint: "yes" as unknown as boolean })).toThrow(/autoCheckpoint/);
});
