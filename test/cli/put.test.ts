import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { buildCli, type BuiltCli, cliEnv, runBuiltCli, spawnTracked as spawn, stopSpawned } from "../support/cli.ts";
import { createStream, localKinesis } from "../support/clients.ts";
import { startFaultProxy } from "../support/fault-proxy.ts";
import { readAllRecords } from "../support/read-stream.ts";
import { until } from "../support/until.ts";

/** `put` through the built binary against kinesalite (and the fault proxy in front of it). */

let built: BuiltCli;
let scratch = "";
beforeAll(async () => {
  built = await buildCli();
  scratch = await mkdtemp(join(tmpdir(), "cli-put-"));
}, 120_000);
afterAll(async () => {
  await built?.remove();
  if (scratch !== "") await rm(scratch, { recursive: true, force: true });
});

afterEach(stopSpawned);

const endpoint = (): string => inject("kinesisEndpoint");
const run = (args: string[], options?: Parameters<typeof runBuiltCli>[2]) => runBuiltCli(built.cli, [...args, "--endpoint", endpoint()], options);
const decoder = new TextDecoder();

async function storedTexts(stream: string): Promise<string[]> {
  return (await readAllRecords(localKinesis(), stream)).map((record) => decoder.decode(record.data));
}

describe("async-kinesis put", () => {
  it("puts each JSON line of stdin as one record, exactly as written, and exits 0 with a summary on stderr", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-put");
    const lines = ['{"id":1}', '{ "id": 2, "spaced": true }', "", '"a string"', "42"];
    const result = await run(["put", stream], { input: `${lines.join("\n")}\n` });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(new RegExp(`^async-kinesis put: 4 records put \\(\\d+/s\\), \\d+ B, 0 failed to ${stream}\\n$`));
    expect(await storedTexts(stream)).toEqual(['{"id":1}', '{ "id": 2, "spaced": true }', '"a string"', "42"]);
  });

  it("--file reads the lines from a file, and --key-field takes each partition key from the object", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-put-file");
    const file = join(scratch, "orders.jsonl");
    await writeFile(file, '{"customer":"alice","n":1}\r\n{"customer":7,"n":2}\r\n');
    const result = await run(["put", stream, "--file", file, "--key-field", "customer"]);
    expect(result.code).toBe(0);
    const records = await readAllRecords(localKinesis(), stream);
    expect(records.map((record) => [record.partitionKey, decoder.decode(record.data)])).toEqual([
      ["alice", '{"customer":"alice","n":1}'],
      ["7", '{"customer":7,"n":2}'],
    ]);
  });

  it("a file that cannot be read is a usage error naming it: exit 2, one line", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-put-nofile");
    const file = join(scratch, "missing.jsonl");
    const result = await run(["put", stream, "--file", file]);
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")).toContain(`async-kinesis put: --file: cannot read ${file} (ENOENT) (see async-kinesis put --help)`);
  });

  it("exits 1 listing each line that failed (too large, not JSON, no key field) while the other lines are put", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-put-fail");
    const tooLarge = JSON.stringify({ id: 2, k: "b", pad: "x".repeat(1024 * 1024) });
    const input = ['{"id":1,"k":"a"}', tooLarge, "{not json", '{"id":4}', '{"id":5,"k":"e"}'].join("\n");
    const result = await run(["put", stream, "--key-field", "k"], { input });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^async-kinesis put: line 2 failed: RecordTooLargeError: record of \d+ bytes exceeds the limit of \d+ bytes$/);
    expect(lines[1]).toMatch(/^async-kinesis put: line 3 failed: InvalidJson: not a JSON value \(/);
    expect(lines[2]).toBe('async-kinesis put: line 4 failed: MissingPartitionKey: has no string or number field "k"');
    expect(lines[3]).toMatch(/^async-kinesis put: 2 records put .* 3 failed to /);
    expect(lines).toHaveLength(4);
    expect(await storedTexts(stream)).toEqual(['{"id":1,"k":"a"}', '{"id":5,"k":"e"}']);
  });

  it("records the service keeps failing are listed with the service's error code after --max-attempts, exit 1", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-put-proxy");
    const proxy = await startFaultProxy({
      target: endpoint(),
      seed: 13,
      // Every entry of every PutRecords request fails with InternalFailure.
      rules: [{ operation: "PutRecords", fault: { kind: "put-records-failures", rate: 1, errorCode: "InternalFailure" } }],
    });
    try {
      const result = await runBuiltCli(built.cli, ["put", stream, "--endpoint", proxy.endpoint, "--max-attempts", "2"], { input: '{"id":1}\n{"id":2}\n' });
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split("\n");
      expect(lines.slice(0, 2)).toEqual([
        expect.stringMatching(/^async-kinesis put: line 1 failed: InternalFailure: /),
        expect.stringMatching(/^async-kinesis put: line 2 failed: InternalFailure: /),
      ]);
      expect(lines[2]).toMatch(/^async-kinesis put: 0 records put .* 2 failed to /);
      expect(await storedTexts(stream)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("a stream that does not exist: every line listed, then the service error as one line, exit 3", async () => {
    const result = await run(["put", "cli-put-no-such-stream"], { input: '{"id":1}\n{"id":2}\n' });
    expect(result.code).toBe(3);
    const lines = result.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/^async-kinesis put: line 1 failed: ResourceNotFoundException: /);
    expect(lines[1]).toMatch(/^async-kinesis put: line 2 failed: ResourceNotFoundException: /);
    expect(lines[2]).toMatch(/^async-kinesis put: 0 records put .* 2 failed to cli-put-no-such-stream$/);
    expect(lines.at(-1)).toMatch(/^async-kinesis put: kinesis \w+: ResourceNotFoundException \(HTTP 400\)/);
  });

  it("--kpl aggregates the lines into KPL records, which tail --processor kpl reads back one by one", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-put-kpl");
    const input = Array.from({ length: 5 }, (_, i) => JSON.stringify({ id: i })).join("\n");
    const put = await run(["put", stream, "--kpl", "--partition-key", "same"], { input });
    expect(put.code).toBe(0);
    // Fewer Kinesis records than lines: several lines share an aggregate.
    expect((await readAllRecords(localKinesis(), stream)).length).toBeLessThan(5);
    const tail = await run(["tail", stream, "--from", "trim-horizon", "--limit", "5", "--processor", "kpl"]);
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split("\n").map((line) => JSON.parse(line) as unknown)).toEqual([0, 1, 2, 3, 4].map((id) => ({ id })));
  });

  it("shows a progress line (records/s, bytes, failures) when stderr is a terminal", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-put-tty");
    const file = join(scratch, "tty.jsonl");
    await writeFile(file, '{"id":1}\n{"id":2}\n{"id":3}\n');
    // util-linux `script` gives the CLI a pseudo-terminal for stdout and stderr.
    const command = [process.execPath, built.cli, "put", stream, "--file", file, "--partition-key", "k", "--endpoint", endpoint()].map((word) => `'${word}'`)
      .join(" ");
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn("script", ["-qec", command, "/dev/null"], { env: cliEnv(), stdio: ["ignore", "pipe", "inherit"] });
      let text = "";
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      child.once("error", reject);
      child.once("close", (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
    });
    // The line is redrawn in place: carriage return, erase to the end of the line (ESC [ K), the text.
    const redraw = "\r\x1b[K";
    expect(output.endsWith("\n")).toBe(true);
    expect(output.trimEnd().split(redraw).at(-1)).toMatch(/^put: 3 records put \(\d+\/s\), 27 B, 0 failed$/);
  });

  it("Ctrl-C while waiting for input stops reading at once, keeps what was put, and exits 130", async () => {
    const stream = await createStream(localKinesis(), 1, "cli-put-sigint");
    const child = spawn(process.execPath, [built.cli, "put", stream, "--endpoint", endpoint()], { env: cliEnv() });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    // stdin stays open: put is waiting for a third line when the interrupt comes.
    child.stdin.write('{"id":1}\n{"id":2}\n');
    await until("both lines stored", async () => ((await storedTexts(stream)).length === 2 ? true : undefined), 20_000);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(new RegExp(`^async-kinesis put: 2 records put .* 0 failed to ${stream}\\n$`));
  });

  it("a missing <stream> exits 2 with one line", async () => {
    const result = await run(["put"], { input: "{}\n" });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("async-kinesis put: <stream>: missing: usage is async-kinesis put <stream> ... (see async-kinesis put --help)\n");
  });
});
