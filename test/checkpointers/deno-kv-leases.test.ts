import { afterAll, beforeAll, expect, it } from "vitest";
import { type DenoKvLike, DenoKvRows } from "../../src/checkpointers/deno-kv/kv.ts";
import { uniqueName } from "../support/clients.ts";
import { BRIDGE_KEY_PREFIX } from "../support/lease-bridge/hosts.ts";
import { type Bridge, startDenoKvBridge } from "../support/lease-bridge/start.ts";
import { BridgedCheckPointer, bridgedLeaseDriver, type BridgedPlatform, raceInPlatform } from "../support/lease-drivers/bridged.ts";
import { runCheckpointerContract } from "./contract.ts";
import { runWorkerIdTests } from "./lease-suite-extra.ts";
import { runLeaseSuite } from "./lease-suite.ts";

/**
 * DenoKvCheckPointer's backend on Deno (`Deno.openKv(":memory:")`): the shared lease suite and the
 * checkpointer contract drive it through the lease bridge, so every read and every fenced write
 * (`atomic().check({ key, versionstamp }).set(...)`) happens in Deno's own KV.
 */

/** Only `rowKey` is used here: the text key of a row, from the same code the backend runs. */
const noKv = {} as DenoKvLike;

let bridge: Bridge | undefined;
beforeAll(async () => {
  bridge = await startDenoKvBridge();
});
afterAll(async () => {
  await bridge?.close();
});

const platform: BridgedPlatform = {
  storeName: "DenoKvCheckPointer",
  url: () => bridge!.url,
  rowKey: (group, stream, shardId) => new DenoKvRows(noKv, BRIDGE_KEY_PREFIX, group, stream, Date.now).rowKey(shardId),
};

runLeaseSuite("DenoKvCheckPointer (Deno KV)", bridgedLeaseDriver(platform));
runWorkerIdTests("DenoKvCheckPointer (Deno KV)", bridgedLeaseDriver(platform));
runCheckpointerContract("DenoKvCheckPointer (Deno KV)", {
  create: ({ autoCheckpoint, clock }) => new BridgedCheckPointer(platform, uniqueName("group"), { autoCheckpoint, ...(clock === undefined ? {} : { clock }) }),
  peer: (store) => {
    const original = store as BridgedCheckPointer;
    return new BridgedCheckPointer(platform, original.name, { autoCheckpoint: original.autoCheckpoint });
  },
  handoffWithinMs: 4000,
});

it("DenoKvCheckPointer: of eight takes racing inside one Deno isolate, exactly one lands", async () => {
  const race = await raceInPlatform(platform, { group: uniqueName("race"), stream: "s", shardId: "shard-0" }, 8);
  expect(race.winners).toHaveLength(1);
  expect(race.owner).toBe(race.winners[0]);
  expect(race.counter).toBe(2);
});
