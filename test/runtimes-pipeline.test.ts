import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { localKinesis, testCredentials } from "./support/clients.ts";
import { bundleForNode, nodeBinaries, nodeUserAgent, parseOutcome, runOnBun, runOnDeno, runOnNode, startWorker } from "./support/runtimes.ts";
import { PIPELINE_ITEMS, PIPELINE_SHARDS, type PipelineInput, type PipelineResult } from "./runtimes/pipeline.ts";

/**
 * The library's main job on Node 20, 22 and 24, Deno, Bun and workerd: test/runtimes/pipeline.ts produces 50 items to a
 * 2-shard stream, consumes them with a DynamoDBCheckPointer (sessionTimeout 3 s, heartbeat 0.5 s),
 * then a second consumer of the same group resumes after the checkpoints. Node then checks the
 * checkpoints against what is really on each shard. Launching and runtime quirks:
 * test/support/runtimes.ts.
 *
 * workerd and time: the design notes say `Date.now()` there advances only across I/O. Measured under
 * Miniflare 4.20260426 (workerd 1.20260426.1): `performance.timeOrigin` is 0 and `performance.now()`
 * returns the same epoch milliseconds as `Date.now()`; both advance across timers and fetches, and
 * (locally) even during a busy loop. The library's default clock sleeps with `setTimeout` and reads the
 * time after each sleep or request, so lease timing holds with no injected clock; a
 * `performance.now()`-based clock would read exactly the same values there.
 */

async function expectPipeline(result: PipelineResult, userAgent: RegExp): Promise<void> {
  expect(result.userAgent).toMatch(userAgent);
  const all = Array.from({ length: PIPELINE_ITEMS }, (_, i) => i);

  // Every item exactly once, and nothing went wrong with any lease.
  expect(result.first.count).toBe(PIPELINE_ITEMS);
  expect([...result.first.items].sort((a, b) => a - b)).toEqual(all);
  expect(result.first.trouble).toEqual([]);
  expect(result.second.trouble).toEqual([]);

  // The restart read nothing, because it resumed at the checkpoints the first consumer left.
  expect(result.second.count).toBe(0);
  expect(result.second.items).toEqual([]);
  expect(result.first.leases.map((l) => l.sequence)).toEqual([null, null]);
  expect(result.checkpoints).toHaveLength(PIPELINE_SHARDS);
  expect(result.second.leases).toEqual(result.checkpoints.map((row) => ({ shardId: row.shardId, sequence: row.sequence })));
  for (const row of result.checkpoints) {
    expect(row).toMatchObject({ streamName: result.streamName, finished: false, owner: null });
  }

  // Seen from Node: each checkpoint is the last record really on its shard, and the stream holds
  // the 50 items once each (the producer did not duplicate any).
  const kinesis = localKinesis();
  const shards = await kinesis.listShards(result.streamName);
  expect(shards.map((s) => s.shardId)).toEqual(result.checkpoints.map((row) => row.shardId));
  const keysOnStream: string[] = [];
  for (const [index, shard] of shards.entries()) {
    const iterator = await kinesis.getShardIterator(result.streamName, shard.shardId, "TRIM_HORIZON");
    const page = await kinesis.getRecords(iterator);
    expect(page.records.length).toBeGreaterThan(0);
    expect(result.checkpoints[index]!.sequence).toBe(page.records.at(-1)!.sequenceNumber);
    keysOnStream.push(...page.records.map((r) => r.partitionKey));
  }
  expect(keysOnStream.sort()).toEqual([...result.keys].sort());
}

describe("producer, consumer and DynamoDB checkpoints on other runtimes", () => {
  let scratch: string;
  let nodeBundle: string;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "async-kinesis-pipeline-"));
    nodeBundle = await bundleForNode(scratch);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  for (const node of nodeBinaries()) {
    it(`Node ${node.major} delivers all 50 items exactly once and a restarted consumer resumes after the checkpoints`, async () => {
      const outcome = await runOnNode(node, nodeBundle, [inject("kinesisEndpoint"), inject("dynamodbEndpoint"), "pipeline"]);
      await expectPipeline(parseOutcome<PipelineResult>(`node ${node.major}`, outcome), nodeUserAgent(node.major));
    });
  }

  it("Deno delivers all 50 items exactly once and a restarted consumer resumes after the checkpoints", async () => {
    const outcome = await runOnDeno(scratch, [inject("kinesisEndpoint"), inject("dynamodbEndpoint"), "pipeline"]);
    await expectPipeline(parseOutcome<PipelineResult>("deno", outcome), /^Deno\//);
  });

  it("Bun delivers all 50 items exactly once and a restarted consumer resumes after the checkpoints", async () => {
    const outcome = await runOnBun([inject("kinesisEndpoint"), inject("dynamodbEndpoint"), "pipeline"]);
    await expectPipeline(parseOutcome<PipelineResult>("bun", outcome), /^Bun\//);
  });

  it("workerd (Miniflare) delivers all 50 items exactly once within one request, credentials passed explicitly", async () => {
    const mf = await startWorker();
    try {
      const input: PipelineInput = {
        kinesisEndpoint: inject("kinesisEndpoint"),
        dynamodbEndpoint: inject("dynamodbEndpoint"),
        credentials: testCredentials,
        region: "ap-northeast-1",
      };
      const response = await mf.dispatchFetch("http://pipeline.local/pipeline", { method: "POST", body: JSON.stringify(input) });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`workerd answered ${response.status}\n--- worker error ---\n${text}`);
      await expectPipeline(JSON.parse(text) as PipelineResult, /^Cloudflare-Workers$/);
    } finally {
      await mf.dispose();
    }
  });
});
