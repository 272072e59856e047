/**
 * Run on Deno WITHOUT --allow-net and --allow-env: what each refusal becomes. Prints one JSON line:
 * per case the error's name, `option`, message and how many times `fetch` was called.
 */
import { KinesisClient } from "../../src/kinesis/client.ts";

declare const Deno: { args: string[] };

interface Seen {
  name: string;
  option: string | undefined;
  message: string;
  fetchCalls: number;
}

async function seen(run: (fetch: typeof globalThis.fetch) => Promise<unknown>): Promise<Seen> {
  let fetchCalls = 0;
  const counting: typeof globalThis.fetch = (input, init) => {
    fetchCalls++;
    return globalThis.fetch(input, init);
  };
  try {
    await run(counting);
    return { name: "none", option: undefined, message: "no error", fetchCalls };
  } catch (error) {
    const e = error as Error & { option?: string };
    return { name: e.name, option: e.option, message: e.message, fetchCalls };
  }
}

const endpoint = Deno.args[0] ?? "http://127.0.0.1:4567";
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

const net = await seen((fetch) => new KinesisClient({ endpoint, region: "eu-west-1", credentials, fetch, maxAttempts: 4 }).describeStreamSummary("any-stream"));
// No region option: the client must read AWS_REGION, which Deno refuses.
const env = await seen(async (fetch) => new KinesisClient({ endpoint, credentials, fetch }).describeStreamSummary("any-stream"));
console.log(JSON.stringify({ net, env }));
