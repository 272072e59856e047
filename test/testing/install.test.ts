/**
 * `async-kinesis/testing` as users get it: the `npm pack` tarball installed into a fresh app (offline),
 * imported beside `async-kinesis` on Node (the root through its Node build, the testing entry through
 * the Web build every condition maps it to) and on Bun, and a produce → consume round trip on the fake.
 */
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BIN, dependencyTarballs, exec, installApp, pack, snapshotWorkingTree, tarballFiles, tempDir } from "../support/install-app.ts";

const APP = `
import { Consumer, Producer } from "async-kinesis";
import { assertDeliveredOnce, collect, createFakeAws } from "async-kinesis/testing";
const fake = createFakeAws();
fake.kinesis.createStream("s", 2);
const producer = new Producer({ streamName: "s", ...fake.options });
const put = [{ n: 1 }, { n: 2 }, { n: 3 }];
for (const item of put) await producer.put(item, "key-" + item.n);
await producer.close();
const consumer = new Consumer({ streamName: "s", ...fake.options, idleTimeout: 0.3 });
const got = await collect(consumer);
await consumer.close();
assertDeliveredOnce(put, got);
console.log(JSON.stringify({ delivered: got.length, resolved: import.meta.resolve("async-kinesis/testing") }));
`;

let scratch = "";
let app = "";
let files: string[] = [];

beforeAll(async () => {
  scratch = await tempDir("testing-pack");
  const source = join(scratch, "source");
  await snapshotWorkingTree(source, { linkNodeModules: true });
  const tarball = await pack(source, scratch, { ignoreScripts: false });
  files = await tarballFiles(tarball);
  app = join(scratch, "app");
  await installApp(app, [tarball, ...(await dependencyTarballs(scratch))]);
  await writeFile(join(app, "app.mjs"), APP);
}, 300_000);

afterAll(async () => {
  if (scratch !== "") await rm(scratch, { recursive: true, force: true });
});

it("the tarball carries the testing entry and its types", () => {
  expect(files).toEqual(expect.arrayContaining(["dist/testing/index.js", "dist/testing/index.d.ts", "src/testing/index.ts"]));
});

it("an installed app imports async-kinesis/testing on Node and round-trips records through the fake", async () => {
  const result = JSON.parse((await exec(process.execPath, ["app.mjs"], { cwd: app, timeoutMs: 30_000 })).trim().split("\n").at(-1)!) as {
    delivered: number;
    resolved: string;
  };
  expect(result.delivered).toBe(3);
  expect(result.resolved).toMatch(/\/node_modules\/async-kinesis\/dist\/testing\/index\.js$/);
});

it("an installed app imports async-kinesis/testing on Bun and round-trips records through the fake", async () => {
  const stdout = await exec(join(BIN, "bun"), ["run", "app.mjs"], { cwd: app, timeoutMs: 30_000 });
  expect((JSON.parse(stdout.trim().split("\n").at(-1)!) as { delivered: number }).delivered).toBe(3);
});
