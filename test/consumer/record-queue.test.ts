/**
 * RecordQueue's reservations, without I/O: readers reserve room before they fetch, are served first
 * come first served, and a record larger than the byte bound is not stuck forever.
 */
import { describe, expect, it } from "vitest";
import type { Lease } from "../../src/checkpointers/types.ts";
import type { ItemPage, QueueEntry } from "../../src/consumer/entries.ts";
import { PageWriter } from "../../src/consumer/page-writer.ts";
import { RecordQueue, type Reservation } from "../../src/consumer/record-queue.ts";

interface Entry {
  weight: number;
  bytes?: number;
}

/** `records` complete records of `bytes` each. */
const records = (count: number, bytes: number): Entry[] => Array.from({ length: count }, () => ({ weight: 1, bytes }));

/** Whether `promise` has settled, after pending callbacks ran. */
async function settled<T>(promise: Promise<T>): Promise<{ value: T } | undefined> {
  let result: { value: T } | undefined;
  void promise.then((value) => (result = { value }));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return result;
}

describe("RecordQueue reservations", () => {
  it("readers reserving at once are granted no more than maxRecords in total", async () => {
    const queue = new RecordQueue<Entry>({ maxRecords: 100, maxBytes: 1e9 });
    const first = await queue.reserve(60, 1);
    const second = await queue.reserve(60, 1);
    expect([first?.records, second?.records]).toEqual([60, 40]);
    const third = queue.reserve(60, 1);
    expect(await settled(third)).toBeUndefined();
    // The first fetch brought 10 records: the 50 it did not use go to the next in line.
    queue.push(records(10, 1), first);
    expect((await settled(third))?.value?.records).toBe(50);
    expect(queue.gauge()).toMatchObject({ queuedRecords: 10, queueHighWater: 10 });
  });

  it("a reader waiting for room for a large record is not overtaken by readers of small ones", async () => {
    const queue = new RecordQueue<Entry>({ maxRecords: 1000, maxBytes: 1000 });
    queue.push(records(6, 100), await queue.reserve(6, 100));
    const large = queue.reserve(1, 500);
    const small = queue.reserve(10, 10);
    // 400 bytes are free: enough for the small reader, but it waits its turn behind the large one.
    expect(await settled(large)).toBeUndefined();
    expect(await settled(small)).toBeUndefined();
    queue.take();
    const granted = await settled(large);
    expect(granted?.value).toEqual({ records: 1, bytes: 500 });
    expect(await settled(small)).toBeUndefined();
    queue.take();
    expect((await settled(small))?.value).toEqual({ records: 10, bytes: 100 });
  });

  it("a record larger than maxBytes is granted alone once nothing else is held or reserved", async () => {
    const queue = new RecordQueue<Entry>({ maxRecords: 1000, maxBytes: 1000 });
    queue.push(records(1, 10), await queue.reserve(1, 10));
    const huge = queue.reserve(5, 5000);
    expect(await settled(huge)).toBeUndefined();
    queue.take();
    const reservation = (await settled(huge))?.value as Reservation;
    expect(reservation.records).toBe(1);
    queue.push(records(1, 5000), reservation);
    expect(queue.gauge()).toMatchObject({ queuedBytes: 5000, queueBytesHighWater: 5000 });
  });

  it("an aborted or released reservation lets the next reader in", async () => {
    const queue = new RecordQueue<Entry>({ maxRecords: 10, maxBytes: 1e9 });
    const held = await queue.reserve(10, 1);
    const giveUp = new AbortController();
    const leaving = queue.reserve(5, 1, giveUp.signal);
    const waiting = queue.reserve(5, 1);
    giveUp.abort();
    expect(await settled(leaving)).toEqual({ value: undefined });
    expect(await settled(waiting)).toBeUndefined();
    queue.release(held!);
    expect((await settled(waiting))?.value?.records).toBe(5);
  });

  it("a reader behind a full queue is granted room once a quarter of it is free, not one record at a time", async () => {
    const queue = new RecordQueue<Entry>({ maxRecords: 100, maxBytes: 1e9 });
    queue.push(records(100, 1), await queue.reserve(100, 1));
    const waiting = queue.reserve(100, 1);
    queue.take();
    expect(await settled(waiting)).toBeUndefined();
    for (let taken = 1; taken < 25; taken++) queue.take();
    expect((await settled(waiting))?.value?.records).toBe(25);
  });

  it("the quarter also counts bytes: a reader of large records waits for a quarter of the byte bound", async () => {
    const queue = new RecordQueue<Entry>({ maxRecords: 1000, maxBytes: 800 });
    queue.push(records(8, 100), await queue.reserve(8, 100));
    const waiting = queue.reserve(8, 100);
    queue.take();
    expect(await settled(waiting)).toBeUndefined();
    queue.take();
    expect((await settled(waiting))?.value).toEqual({ records: 2, bytes: 200 });
  });

  it("closing the queue ends every wait with no reservation", async () => {
    const queue = new RecordQueue<Entry>({ maxRecords: 1, maxBytes: 1e9 });
    await queue.reserve(1, 1);
    const waiting = queue.reserve(1, 1);
    queue.close();
    expect(await settled(waiting)).toEqual({ value: undefined });
  });
});

/** A page of `count` one-item records of `bytes` each, from `lease`. */
function pageOf(count: number, bytes: number, lease: Lease = testLease): ItemPage<number> {
  const writer = new PageWriter<number>("shard-0", lease, 0);
  for (let n = 0; n < count; n++) writer.item(n, "pk", String(n + 1), 0, bytes, true);
  return writer.entries()[0] as ItemPage<number>;
}

const testLease: Lease = { shardId: "shard-0", signal: new AbortController().signal, usable: () => true };

describe("RecordQueue pages (one entry of many items)", () => {
  it("a page taken item by item frees its records one by one, and a waiting reader gets the room", async () => {
    const queue = new RecordQueue<QueueEntry<number>>({ maxRecords: 4, maxBytes: 1e9 });
    queue.push([pageOf(4, 10)], await queue.reserve(4, 10));
    expect(queue.gauge()).toMatchObject({ queuedRecords: 4, queuedBytes: 40 });
    const waiting = queue.reserve(1, 10);
    const taken = queue.take() as ItemPage<number>;
    expect(taken.cursor).toBe(1);
    expect(queue.gauge()).toMatchObject({ queuedRecords: 3, queuedBytes: 30 });
    expect((await settled(waiting))?.value?.records).toBe(1);
    // The same page serves the next items, in order, until it is empty.
    const cursors = [1, 2, 3].map(() => (queue.take() as ItemPage<number>).cursor);
    expect(cursors).toEqual([2, 3, 4]);
    expect(queue.gauge()).toMatchObject({ queuedRecords: 0, queuedBytes: 0 });
    expect(queue.peek()).toBeUndefined();
  });

  it("an item of a multi-item payload frees its record only with the payload's last item", () => {
    const queue = new RecordQueue<QueueEntry<number>>({ maxRecords: 10, maxBytes: 1e9 });
    const writer = new PageWriter<number>("shard-0", testLease, 0);
    writer.item(1, "pk", "5", 0, 3, false);
    writer.item(2, "pk", "5", 0, 3, true);
    queue.push(writer.entries());
    queue.take();
    expect(queue.size).toBe(1);
    queue.take();
    expect(queue.size).toBe(0);
  });

  it("putBack mid-page gives back exactly the item in hand: it is taken next, and the page holds its record again", async () => {
    const queue = new RecordQueue<QueueEntry<number>>({ maxRecords: 10, maxBytes: 1e9 });
    queue.push([pageOf(3, 10)]);
    queue.take();
    const page = queue.take() as ItemPage<number>;
    const inHand = page.data[page.cursor - 1];
    queue.putBack(page);
    expect(queue.gauge()).toMatchObject({ queuedRecords: 2, queuedBytes: 20 });
    const again = queue.take() as ItemPage<number>;
    expect(again).toBe(page);
    expect(again.data[again.cursor - 1]).toBe(inHand);
    expect(queue.length).toBe(1);
  });

  it("putBack of a page's last item puts it in front of the entries after it", () => {
    const queue = new RecordQueue<QueueEntry<number>>({ maxRecords: 10, maxBytes: 1e9 });
    const second = pageOf(1, 10);
    queue.push([pageOf(2, 10), second]);
    queue.take();
    const first = queue.take() as ItemPage<number>;
    expect(queue.peek()).toBe(second);
    queue.putBack(first);
    expect(queue.peek()).toBe(first);
    expect(queue.gauge()).toMatchObject({ queuedRecords: 2, queuedBytes: 20 });
    expect(queue.take()).toBe(first);
    expect(queue.take()).toBe(second);
    expect(queue.size).toBe(0);
  });

  it("purging a lost lease drops its pages, counting only the items not taken yet", () => {
    const queue = new RecordQueue<QueueEntry<number>>({ maxRecords: 100, maxBytes: 1e9 });
    const lost: Lease = { shardId: "shard-1", signal: new AbortController().signal, usable: () => true };
    queue.push([pageOf(5, 10, lost), pageOf(3, 10)]);
    queue.take();
    queue.take();
    expect(queue.purge((entry) => entry.lease === lost)).toBe(3);
    expect(queue.gauge()).toMatchObject({ queuedRecords: 3, queuedBytes: 30 });
    expect((queue.take() as ItemPage<number>).lease).toBe(testLease);
  });
});
