import {
  BytesProcessor,
  ConfigError,
  Consumer,
  type ConsumerIteratorType,
  type ConsumerOptions,
  type ConsumerRecord,
  type DecodeError,
  JsonProcessor,
  KPLJsonProcessor,
  MemoryCheckPointer,
  type Processor,
  StringProcessor,
} from "../index.ts";
import { KinesisClient } from "../aws.ts";
import { parseIsoTime } from "../../internal/iso-time.ts";
import type { CliCommand, CommandContext, Output } from "./command.ts";
import { ExitCode } from "./exit-codes.ts";
import { ShardSelection } from "./shard-selection.ts";

const PROCESSORS: Record<string, () => Processor> = {
  json: () => new JsonProcessor(),
  string: () => new StringProcessor(),
  bytes: () => new BytesProcessor(),
  kpl: () => new KPLJsonProcessor(),
};

interface StartAt {
  iteratorType: ConsumerIteratorType;
  timestamp?: Date;
}

/** `--from`: latest (default, like `tail -f`), trim-horizon, or an ISO 8601 time with its zone (or a date: midnight UTC). */
export function parseFrom(text: string | undefined): StartAt {
  if (text === undefined || text === "latest") return { iteratorType: "LATEST" };
  if (text === "trim-horizon") return { iteratorType: "TRIM_HORIZON" };
  const time = parseIsoTime(text, "--from");
  if (time === undefined) {
    throw new ConfigError("--from", `must be latest, trim-horizon or an ISO 8601 time such as 2026-01-31T12:00:00Z, got "${text}"`);
  }
  return { iteratorType: "AT_TIMESTAMP", timestamp: time };
}

/** Payloads as JSON values: bytes as base64 (JSON has no byte strings). */
function printable(data: unknown): unknown {
  return data instanceof Uint8Array ? btoa(Array.from(data, (byte) => String.fromCharCode(byte)).join("")) : data;
}

function envelope(record: ConsumerRecord): Record<string, unknown> {
  return {
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    ...(record.subSequenceNumber === undefined ? {} : { subSequenceNumber: record.subSequenceNumber }),
    partitionKey: record.partitionKey,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp.toISOString(),
    data: printable(record.data),
  };
}

/** One item as text: indented JSON for people at a terminal, one JSON value per line for programs. */
function format(value: unknown, stdout: Output): string {
  return `${stdout.isTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`;
}

/**
 * `--shard`: only those shards, checked against the stream so a typo is a usage error rather than a
 * tail that waits forever. Their parents are presented as finished unless starting at LATEST (see
 * ShardSelection).
 */
async function selectShards(context: CommandContext, stream: string, chosen: readonly string[], start: StartAt): Promise<ShardSelection> {
  const shards = await new KinesisClient(context.clientOptions("kinesis")).listShards(stream, { signal: context.io.signal });
  const known = new Map(shards.map((shard) => [shard.shardId, shard]));
  const settled = new Set<string>();
  for (const shardId of chosen) {
    const shard = known.get(shardId);
    if (shard === undefined) throw new ConfigError("--shard", `stream ${stream} has no shard ${shardId} (see async-kinesis describe ${stream})`);
    if (start.iteratorType === "LATEST") continue;
    for (const parent of [shard.parentShardId, shard.adjacentParentShardId]) {
      if (parent !== undefined && !chosen.includes(parent)) settled.add(parent);
    }
  }
  return new ShardSelection(new MemoryCheckPointer({ name: "async-kinesis-tail" }), new Set(chosen), settled);
}

async function run(context: CommandContext): Promise<number> {
  const { args, io } = context;
  const stream = args.positional(0, "<stream>");
  args.atMostPositionals(1);
  const start = parseFrom(args.string("from"));
  const limit = args.integer("limit", { min: 1 });
  const processorName = args.string("processor") ?? "json";
  const makeProcessor = PROCESSORS[processorName];
  if (makeProcessor === undefined) throw new ConfigError("--processor", `must be one of ${Object.keys(PROCESSORS).join(", ")}, got "${processorName}"`);
  const chosen = args.all("shard");
  const withMetadata = args.boolean("metadata");
  const options: ConsumerOptions = {
    ...context.clientOptions("kinesis"),
    streamName: stream,
    processor: makeProcessor(),
    ...start,
    signal: io.signal,
    // One undecodable record must not end a tail: say so on stderr and go on.
    onDecodeError: (error: DecodeError) => {
      void io.stderr.write(`async-kinesis tail: skipped a record that is not ${processorName} (shard ${error.shardId}, sequence ${error.sequenceNumber})\n`);
      return "skip";
    },
  };
  if (chosen.length > 0) options.checkpointer = await selectShards(context, stream, chosen, start);
  const consumer = new Consumer(options);
  let printed = 0;
  try {
    for await (const record of consumer.records()) {
      await io.stdout.write(format(withMetadata ? envelope(record) : printable(record.data), io.stdout));
      printed++;
      if (io.stdout.closed || (limit !== undefined && printed >= limit)) break;
    }
  } finally {
    await consumer.close();
  }
  return ExitCode.ok;
}

export const tailCommand: CliCommand = {
  name: "tail",
  summary: "follow a stream like tail -f: print each record as it arrives",
  usage: "<stream> [options]",
  description: [
    "Follow a stream (name or ARN) like `tail -f`: every shard, children after their parents, until",
    "Ctrl-C, --limit, or the reader of stdout going away (`| head`), all of which exit 0.",
    "On a terminal each record is indented JSON; piped, one JSON value per line (JSON lines).",
    "Nothing is checkpointed: every run starts where --from says.",
  ].join("\n"),
  flags: {
    from: { kind: "string", value: "latest|trim-horizon|<ISO time>", description: "where to start (default latest: new records only)" },
    shard: { kind: "string", value: "<shard id>", description: "read only this shard", multiple: true },
    processor: { kind: "string", value: "json|string|bytes|kpl", description: "payload format (default json; bytes print as base64)" },
    limit: { kind: "string", value: "<n>", description: "stop after n records" },
    metadata: { kind: "boolean", description: "print each record with its shard, sequence number, partition key and arrival time" },
  },
  examples: [
    "async-kinesis tail orders",
    "async-kinesis tail orders --from trim-horizon --limit 10",
    "async-kinesis tail orders --from 2026-01-31T12:00:00Z --shard shardId-000000000001 --metadata",
    "async-kinesis tail orders | jq .customer",
  ],
  run,
};
