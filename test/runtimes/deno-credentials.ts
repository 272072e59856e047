/**
 * Deno entry for test/credential-chain/deno.test.ts: resolve credentials and the region the default
 * way (Deno's own file and environment access) and print one JSON line with what came out.
 */
import { resolveRegion } from "../../src/aws/client-options.ts";
import { credentialChain } from "../../src/aws/credential-chain/chain.ts";

async function outcome(work: () => unknown): Promise<unknown> {
  try {
    return { value: await work() };
  } catch (error) {
    return { error: (error as Error).name, message: (error as Error).message };
  }
}

const credentials = await outcome(async () => (await credentialChain({ region: "eu-west-1" })()).accessKeyId);
const region = await outcome(() => resolveRegion(undefined));
console.log(JSON.stringify({ credentials, region }));
