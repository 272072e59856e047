import { KinesisClient } from "../aws.ts";
import type { CliCommand, CommandContext } from "./command.ts";
import { ExitCode } from "./exit-codes.ts";

interface ListStreamsPage {
  StreamNames?: string[] | null;
  HasMoreStreams?: boolean | null;
  NextToken?: string | null;
}

/**
 * Every stream name, page by page: `NextToken` where the service gives one, else the older
 * `ExclusiveStartStreamName` (what local servers understand). Yields as pages arrive.
 */
async function* streamNames(client: KinesisClient, pageSize: number | undefined, signal: AbortSignal): AsyncGenerator<string> {
  const limit = pageSize === undefined ? {} : { Limit: pageSize };
  let request: Record<string, unknown> = { ...limit };
  for (;;) {
    const page = await client.http.call<ListStreamsPage>("ListStreams", request, { signal });
    const names = page.StreamNames ?? [];
    yield* names;
    const last = names.at(-1);
    if (page.HasMoreStreams !== true || last === undefined) return;
    request = page.NextToken == null || page.NextToken === "" ? { ...limit, ExclusiveStartStreamName: last } : { ...limit, NextToken: page.NextToken };
  }
}

async function run({ args, clientOptions, io }: CommandContext): Promise<number> {
  args.atMostPositionals(0);
  const pageSize = args.integer("page-size", { min: 1, max: 10000 });
  const prefix = args.string("prefix") ?? "";
  const json = args.boolean("json");
  const client = new KinesisClient(clientOptions("kinesis"));
  for await (const name of streamNames(client, pageSize, io.signal)) {
    if (!name.startsWith(prefix)) continue;
    await io.stdout.write(json ? `${JSON.stringify(name)}\n` : `${name}\n`);
    if (io.stdout.closed) break;
  }
  return ExitCode.ok;
}

export const streamsCommand: CliCommand = {
  name: "streams",
  summary: "list the streams of the account and region, one name per line",
  usage: "[options]",
  description: "List the account's streams in the region, one name per line, following the service's pages.",
  flags: {
    prefix: { kind: "string", value: "<text>", description: "only names starting with this (filtered here, after listing)" },
    "page-size": { kind: "string", value: "<n>", description: "names per ListStreams request (default: the service's)" },
    json: { kind: "boolean", description: "each name as a JSON string (JSON lines)" },
  },
  examples: ["async-kinesis streams", "async-kinesis streams --prefix orders- --region eu-west-1"],
  run,
};
