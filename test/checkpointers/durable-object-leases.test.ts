import { afterAll, beforeAll, expect, it } from "vitest";
import { DurableObjectRows, type DurableObjectStorageLike } from "../../src/checkpointers/durable-object/storage.ts";
import { uniqueName } from "../support/clients.ts";
import { BRIDGE_KEY_PREFIX } from "../support/lease-bridge/hosts.ts";
import { type Bridge, startDurableObjectBridge } from "../support/lease-bridge/start.ts";
import { BridgedCheckPointer, bridgedLeaseDriver, type BridgedPlatform, raceInPlatform } from "../support/lease-drivers/bridged.ts";
import { runCheckpointerContract } from "./contract.ts";
import { runWorkerIdTests } from "./lease-suite-extra.ts";
import { runLeaseSuite } from "./lease-suite.ts";

/**
 * DurableObjectCheckPointer's backend in workerd (Miniflare 4): the shared lease suite and the
 * checkpointer contract drive it through the lease bridge, so every read and every conditional write
 * is a transaction of a real Durable Object's storage — KV-backed and SQLite-backed objects both.
 */

/** Only `rowKey` is used here: the key the object's storage puts rows under, from the same code. */
const noStorage = {} as DurableObjectStorageLike;

for (const sqlite of [false, true]) {
  const label = `DurableObjectCheckPointer (workerd, ${sqlite ? "SQLite" : "KV"}-backed storage)`;
  let bridge: Bridge | undefined;
  beforeAll(async () => {
    bridge = await startDurableObjectBridge({ sqlite });
  });
  afterAll(async () => {
    await bridge?.close();
  });
  const platform: BridgedPlatform = {
    storeName: "DurableObjectCheckPointer",
    url: () => bridge!.url,
    rowKey: (group, stream, shardId) => new DurableObjectRows(noStorage, BRIDGE_KEY_PREFIX, group, stream).rowKey(shardId),
  };
  runLeaseSuite(label, bridgedLeaseDriver(platform));
  runWorkerIdTests(label, bridgedLeaseDriver(platform));
  runCheckpointerContract(label, {
    create: ({ autoCheckpoint, clock }) =>
      new BridgedCheckPointer(platform, uniqueName("group"), { autoCheckpoint, ...(clock === undefined ? {} : { clock }) }),
    peer: (store) => {
      const original = store as BridgedCheckPointer;
      return new BridgedCheckPointer(platform, original.name, { autoCheckpoint: original.autoCheckpoint });
    },
    handoffWithinMs: 4000,
  });

  it(`${label}: of eight takes racing inside one event of the object, exactly one lands`, async () => {
    const race = await raceInPlatform(platform, { group: uniqueName("race"), stream: "s", shardId: "shard-0" }, 8);
    expect(race.winners).toHaveLength(1);
    expect(race.owner).toBe(race.winners[0]);
    expect(race.counter).toBe(2);
  });
}
