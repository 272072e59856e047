/** The fake and the library on one ManualClock: minutes of consumer time in milliseconds of real time. */
import { expect, it } from "vitest";
import { Consumer } from "../../src/consumer/consumer.ts";
import type { ConsumerEvent } from "../../src/consumer/events.ts";
import { createFakeAws, ManualClock } from "../../src/testing/index.ts";

it("a consumer on the fake's ManualClock recovers from iterators that expired while time was advanced", async () => {
  const clock = new ManualClock();
  const fake = createFakeAws({ clock });
  fake.kinesis.createStream("orders", 1);
  fake.kinesis.putRecords("orders", [{ data: JSON.stringify({ n: 1 }), partitionKey: "k" }]);
  const events: ConsumerEvent[] = [];
  const consumer = new Consumer<{ n: number }>({ streamName: "orders", ...fake.options, clock, onEvent: (e) => events.push(e) });
  const items = consumer[Symbol.asyncIterator]();
  expect((await items.next()).value).toEqual({ n: 1 });

  fake.kinesis.putRecords("orders", [{ data: JSON.stringify({ n: 2 }), partitionKey: "k" }]);
  fake.kinesis.expireIterators();
  const next = items.next();
  for (let i = 0; i < 50 && events.every((e) => e.type !== "iteratorExpired"); i++) await clock.advance(1000);
  expect((await next).value).toEqual({ n: 2 });
  expect(events.some((e) => e.type === "iteratorExpired")).toBe(true);
  await consumer.close();
});
