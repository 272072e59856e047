import { describe, expect, it } from "vitest";
import { createStream, localKinesis } from "../support/clients.ts";
import { localConsumer } from "./harness.ts";

/** The X-Amz-Target operation of a request (`Kinesis_20131202.GetRecords` → `GetRecords`). */
function operationOf(init: RequestInit | undefined): string {
  const target = new Headers(init?.headers).get("x-amz-target") ?? "";
  return target.slice(target.indexOf(".") + 1);
}

describe("GetRecords pacing", () => {
  it("never lets more than 5 GetRecords of a shard reach the service in any second, however late a request leaves", async () => {
    const stream = await createStream(localKinesis(), 1, "pacing");
    const sentAt: number[] = [];
    let getRecordsCalls = 0;
    // Every other GetRecords leaves 80 ms late (slow signing, a busy event loop): the service counts
    // calls as they arrive, so the bound must hold between arrivals, not between decisions to call.
    const lateEveryOther: typeof fetch = async (input, init) => {
      if (operationOf(init) === "GetRecords") {
        if (getRecordsCalls++ % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 80));
        sentAt.push(performance.now());
      }
      return fetch(input, init);
    };
    await using consumer = localConsumer<unknown>(stream, { shardFetchRate: 5, fetch: lateEveryOther });
    await consumer.waitReady();
    // Records keep arriving, so pages are not empty (an empty page adds the idle sleep).
    const kinesis = localKinesis();
    const until = performance.now() + 2500;
    for (let n = 0; performance.now() < until; n++) {
      await kinesis.putRecords(stream, [{ data: new TextEncoder().encode(JSON.stringify({ n })), partitionKey: "k" }]);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await consumer.close();
    expect(sentAt.length).toBeGreaterThanOrEqual(6);
    // No window of one second holds more than 5 calls as they left (two may be closer than 200 ms:
    // calls are paced start to start, and the bound is kept over every 5, see CallPace).
    for (let i = 0; i + 5 < sentAt.length; i++) expect(sentAt[i + 5]! - sentAt[i]!).toBeGreaterThan(1000);
  });
});
