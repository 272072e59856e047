import { AsyncKinesisError, ConfigError, EncodeError, InvalidPartitionKeyError, Producer, PutFailedError, RecordTooLargeError } from "../index.ts";
import type { CliCommand, CommandContext } from "./command.ts";
import { errorLine } from "./error-line.ts";
import { ExitCode, exitCodeFor } from "./exit-codes.ts";
import { type InputLine, InputLineProcessor } from "./input-line.ts";
import { progressText, PutProgress } from "./put-progress.ts";
import { untilAborted } from "./until-aborted.ts";

/** Failed lines listed one per line on stderr; past this many only their count is given. */
const MAX_LISTED = 100;

interface LineFailure {
  line: number;
  code: string;
  message: string;
}

/** The failed lines of a run: the first MAX_LISTED kept for the list, all counted. */
class Failures {
  readonly listed: LineFailure[] = [];
  count = 0;
  /** The first reason the producer gave up for good (missing stream, unreachable endpoint). */
  cause: unknown;

  add(failure: LineFailure): void {
    this.count++;
    if (this.listed.length < MAX_LISTED) this.listed.push(failure);
  }

  refuse(line: number, code: string, message: string): void {
    this.add({ line, code, message });
  }

  /** What `put` or `close` threw: failures it describes are counted; anything else is not ours to handle. */
  takeError(error: unknown, line: number): void {
    if (error instanceof PutFailedError) {
      this.cause ??= error.cause;
      for (const failed of error.failures) this.add({ line: (failed.data as InputLine).line, code: failed.errorCode, message: failed.errorMessage });
      this.count += error.droppedFailures;
    } else if (error instanceof RecordTooLargeError || error instanceof InvalidPartitionKeyError || error instanceof EncodeError) {
      this.refuse(line, error.name, error.message);
    } else {
      throw error;
    }
  }
}

/** The partition key of one line: `--partition-key`, a field of the line's object (`--key-field`), or random. */
function keyOf(parsed: unknown, field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  const value = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>)[field] : undefined;
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

async function run(context: CommandContext): Promise<number> {
  const { args, io } = context;
  const stream = args.positional(0, "<stream>");
  args.atMostPositionals(1);
  const file = args.string("file");
  const fixedKey = args.string("partition-key");
  const keyField = args.string("key-field");
  if (fixedKey !== undefined && keyField !== undefined) throw new ConfigError("--key-field", "cannot be combined with --partition-key");
  const raw = args.boolean("raw");
  const producer = new Producer<InputLine>({
    ...context.clientOptions("kinesis"),
    streamName: stream,
    processor: new InputLineProcessor(args.boolean("kpl")),
  });
  const failures = new Failures();
  // Failed lines so far: those reported to us, and those the producer holds for its next flush or close to report.
  const progress = new PutProgress(io.stderr, () => {
    const stats = producer.stats();
    return { stats, failed: failures.count + stats.failuresRetained };
  });
  if (file === undefined && io.stdinIsTTY) await io.stderr.write("async-kinesis put: reading JSON lines from the terminal; end with Ctrl-D\n");
  let number = 0;
  try {
    for await (const text of untilAborted(file === undefined ? io.stdinLines() : io.fileLines(file), io.signal)) {
      number++;
      if (text.trim() === "") continue;
      let parsed: unknown;
      if (!raw || keyField !== undefined) {
        try {
          parsed = JSON.parse(text);
        } catch (error) {
          failures.refuse(number, "InvalidJson", `not a JSON value (${(error as Error).message})`);
          continue;
        }
      }
      const key = fixedKey ?? keyOf(parsed, keyField);
      if (keyField !== undefined && key === undefined) {
        failures.refuse(number, "MissingPartitionKey", `has no string or number field "${keyField}"`);
        continue;
      }
      try {
        await producer.put({ line: number, text }, key);
      } catch (error) {
        failures.takeError(error, number);
      }
    }
  } finally {
    // Deliver everything accepted, also after Ctrl-C (a second Ctrl-C exits at once).
    try {
      await producer.close();
    } catch (error) {
      failures.takeError(error, 0);
    }
    await progress.stop();
  }
  return report(context, stream, producer, failures, progress.elapsedMs);
}

async function report(context: CommandContext, stream: string, producer: Producer<InputLine>, failures: Failures, elapsedMs: number): Promise<number> {
  const { io } = context;
  const stats = producer.stats();
  for (const failure of failures.listed.sort((a, b) => a.line - b.line)) {
    await io.stderr.write(`async-kinesis put: line ${failure.line} failed: ${failure.code}: ${failure.message.replace(/\s*\n\s*/g, " ")}\n`);
  }
  if (failures.count > failures.listed.length) {
    await io.stderr.write(`async-kinesis put: ... and ${failures.count - failures.listed.length} more failed lines\n`);
  }
  if (!io.stderr.isTTY) await io.stderr.write(`async-kinesis put: ${progressText(stats, failures.count, elapsedMs)} to ${stream}\n`);
  // Nothing got through because the stream or the endpoint failed: exit as the other verbs do for that error.
  const cause = failures.cause;
  if (failures.count > 0 && stats.recordsPut === 0 && cause instanceof AsyncKinesisError) {
    const code = exitCodeFor(cause);
    if (code === ExitCode.service || code === ExitCode.unreachable) {
      await io.stderr.write(errorLine(cause, "put", false));
      return code;
    }
  }
  if (failures.count > 0) return ExitCode.failed;
  return io.stopReason() === "interrupted" ? ExitCode.interrupted : ExitCode.ok;
}

export const putCommand: CliCommand = {
  name: "put",
  summary: "put JSON lines from stdin or a file through the batching producer",
  usage: "<stream> [options]",
  description: [
    "Put one record per line of stdin (or --file) into a stream (name or ARN), through the Producer:",
    "batched PutRecords, per-shard rate limits, retries of the records that failed. Each line must be",
    "a JSON value and is sent exactly as written; blank lines are skipped. On a terminal, stderr shows",
    "a progress line (records/s, bytes, failures). Every line that could not be put is listed on",
    "stderr with its line number and error, and the exit status is then 1.",
  ].join("\n"),
  flags: {
    file: { kind: "string", value: "<path>", description: "read this file instead of stdin" },
    "partition-key": { kind: "string", value: "<key>", description: "partition key of every record (default: random per record)" },
    "key-field": { kind: "string", value: "<field>", description: "take each record's partition key from this field of its JSON object" },
    raw: { kind: "boolean", description: "send lines without checking that they are JSON" },
    kpl: { kind: "boolean", description: "KPL-aggregate the lines (many per record; read back with tail or any KPL consumer)" },
  },
  examples: [
    "async-kinesis put orders < orders.jsonl",
    "async-kinesis put orders --file orders.jsonl --key-field customerId",
    `echo '{"hello":"world"}' | async-kinesis put orders`,
  ],
  run,
};
