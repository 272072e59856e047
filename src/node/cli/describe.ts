import { KinesisClient, type Shard, type StreamSummary } from "../aws.ts";
import type { CliCommand, CommandContext } from "./command.ts";
import { ExitCode } from "./exit-codes.ts";

/** The 128-bit hash key space: a shard's share of it says how much of the traffic it takes. */
const KEY_SPACE = 2n ** 128n;

interface ShardView {
  shardId: string;
  state: "open" | "closed";
  parents: string[];
  hashKeyRange: { start: string; end: string; share: number };
  startingSequenceNumber: string;
  endingSequenceNumber?: string;
}

function shardView(shard: Shard): ShardView {
  const start = BigInt(shard.hashKeyRange.startingHashKey);
  const end = BigInt(shard.hashKeyRange.endingHashKey);
  // Share in hundredths of a percent, worked out in integers so 39-digit keys lose nothing.
  const share = Number(((end - start + 1n) * 10000n) / KEY_SPACE) / 100;
  const parents = [shard.parentShardId, shard.adjacentParentShardId].filter((id): id is string => id !== undefined);
  const ending = shard.sequenceNumberRange.endingSequenceNumber;
  return {
    shardId: shard.shardId,
    state: ending === undefined ? "open" : "closed",
    parents,
    hashKeyRange: { start: shard.hashKeyRange.startingHashKey, end: shard.hashKeyRange.endingHashKey, share },
    startingSequenceNumber: shard.sequenceNumberRange.startingSequenceNumber,
    ...(ending === undefined ? {} : { endingSequenceNumber: ending }),
  };
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join("  ")).join("\n") + "\n";
}

function report(summary: StreamSummary, shards: readonly ShardView[]): string {
  const open = shards.filter((shard) => shard.state === "open").length;
  const facts: Array<[string, string]> = [
    ["stream", `${summary.streamName} (${summary.streamStatus}${summary.streamMode === undefined ? "" : `, ${summary.streamMode}`})`],
    ["arn", summary.streamArn],
    ["retention", `${summary.retentionPeriodHours} hours`],
    ["shards", `${open} open, ${shards.length - open} closed`],
    ["encryption", summary.encryptionType ?? "NONE"],
    ...(summary.streamCreatedAt === undefined ? [] : [["created", new Date(summary.streamCreatedAt).toISOString()] as [string, string]]),
  ];
  const header = table(facts.map(([name, value]) => [name, value]));
  const rows = shards.map((shard) => [
    shard.shardId,
    shard.state,
    shard.parents.length === 0 ? "-" : shard.parents.join(","),
    `${shard.hashKeyRange.share.toFixed(2)}%`,
    `${shard.hashKeyRange.start}..${shard.hashKeyRange.end}`,
  ]);
  return `${header}\n${table([["SHARD", "STATE", "PARENTS", "KEYS", "HASH KEY RANGE"], ...rows])}`;
}

async function run({ args, clientOptions, io }: CommandContext): Promise<number> {
  const stream = args.positional(0, "<stream>");
  args.atMostPositionals(1);
  const client = new KinesisClient(clientOptions("kinesis"));
  const options = { signal: io.signal };
  const [summary, shards] = await Promise.all([client.describeStreamSummary(stream, options), client.listShards(stream, options)]);
  const views = shards.map(shardView);
  const json = args.boolean("json") || (!io.stdout.isTTY && !args.boolean("table"));
  if (json) {
    const document = { ...summary, shards: views };
    await io.stdout.write(io.stdout.isTTY ? `${JSON.stringify(document, null, 2)}\n` : `${JSON.stringify(document)}\n`);
  } else {
    await io.stdout.write(report(summary, views));
  }
  return ExitCode.ok;
}

export const describeCommand: CliCommand = {
  name: "describe",
  summary: "a stream's status, retention and shards (parents, hash key ranges, open or closed)",
  usage: "<stream> [options]",
  description: [
    "Describe a stream (name or ARN): status, mode, retention, encryption, and every shard with its",
    "parents, its hash key range (and share of the key space) and whether it is open or closed.",
    "On a terminal it prints a table; piped, one JSON document (use --table or --json to choose).",
  ].join("\n"),
  flags: {
    json: { kind: "boolean", description: "print JSON (the default when stdout is not a terminal)" },
    table: { kind: "boolean", description: "print the table (the default on a terminal)" },
  },
  examples: ["async-kinesis describe orders", "async-kinesis describe orders --json | jq '.shards[] | select(.state == \"open\") | .shardId'"],
  run,
};
