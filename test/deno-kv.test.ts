import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createStream, localKinesis } from "./support/clients.ts";
import { parseOutcome, runDenoScript } from "./support/runtimes.ts";

/**
 * DenoKvCheckPointer inside Deno itself (the lease suites drive its backend through the bridge:
 * test/checkpointers/deno-kv-leases.test.ts): bounded consumer steps in separate Deno processes
 * sharing one Deno KV file, and Deno's own types accepting a real `Deno.Kv` where the checkpointer
 * takes its small structural `DenoKvLike`.
 */

const ROOT = resolve(import.meta.dirname, "..");

describe("DenoKvCheckPointer on Deno", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "async-kinesis-deno-kv-"));
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it("bounded steps in separate Deno processes resume after each other's last record, through one KV file", async () => {
    const kinesis = localKinesis();
    const stream = await createStream(kinesis, 1, "deno-kv");
    const entries = Array.from({ length: 10 }, (_, i) => ({ data: new TextEncoder().encode(JSON.stringify({ i })), partitionKey: "pk" }));
    const put = await kinesis.putRecords(stream, entries);
    const produced = put.records.map((r) => r.sequenceNumber!);
    const kvPath = join(scratch, "leases.sqlite3");
    const permissions = ["--unstable-kv", "--allow-net=127.0.0.1", "--allow-env", `--allow-read=${scratch}`, `--allow-write=${scratch}`];
    type StepsResult = { steps: string[][]; checkpoints: Array<{ shardId: string; sequence?: string; owner?: string }> };

    const first = parseOutcome<StepsResult>(
      "deno",
      await runDenoScript(scratch, "test/runtimes/deno-kv-steps.ts", permissions, [inject("kinesisEndpoint"), stream, kvPath, "4"]),
    );
    const second = parseOutcome<StepsResult>(
      "deno",
      await runDenoScript(scratch, "test/runtimes/deno-kv-steps.ts", permissions, [inject("kinesisEndpoint"), stream, kvPath, "4", "100"]),
    );

    expect(first.steps).toEqual([produced.slice(0, 4)]);
    expect(second.steps).toEqual([produced.slice(4, 8), produced.slice(8)]);
    // The last step committed its last record and released the lease (JSON drops the absent owner).
    expect(second.checkpoints).toHaveLength(1);
    expect(second.checkpoints[0]).toMatchObject({ sequence: produced[9], finished: false });
    expect(second.checkpoints[0]).not.toHaveProperty("owner");
  });

  it("a real Deno.Kv fits DenoKvLike (deno check with Deno's own types)", async () => {
    // With the project's deno.json (npm: packages from node_modules), as test/exports.test.ts checks the source.
    const file = join(scratch, "kv-fits.ts");
    const index = pathToFileURL(join(ROOT, "src/index.ts")).href;
    await writeFile(
      file,
      [
        `import { DenoKvCheckPointer } from ${JSON.stringify(index)};`,
        `const kv: Deno.Kv = await Deno.openKv(":memory:");`,
        `new DenoKvCheckPointer({ name: "fits", kv });`,
      ].join("\n"),
    );
    const deno = join(ROOT, "node_modules", ".bin", "deno");
    const checked = await promisify(execFile)(deno, ["check", "--unstable-kv", "--no-lock", `--config=${join(ROOT, "deno.json")}`, file], {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    }).catch((error: { stderr?: string; message: string }) => ({ failed: error.stderr ?? error.message }));
    expect(checked).not.toHaveProperty("failed");
  });
});
