import { inject } from "vitest";
import { KinesisClient } from "../../src/kinesis/client.ts";
import { createFakeAws } from "../../src/testing/index.ts";
import { testCredentials, uniqueName } from "../support/clients.ts";

/** What the library's classes need to reach one backend's Kinesis or DynamoDB. */
export interface Reach {
  fetch: typeof fetch;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

/**
 * One place the fidelity scenarios run against: the in-memory fake, or the local servers (kinesalite
 * and dynalite from the global setup). Same scenario code, same assertions, on both.
 */
export interface Backend {
  name: "fake" | "local";
  kinesis: Reach;
  dynamodb: Reach;
  client: KinesisClient;
  /** The next `times` GetRecords requests answer HTTP 400 ProvisionedThroughputExceededException. */
  throttleGetRecords(times: number): void;
  /** A stream no other test uses, ACTIVE. */
  createStream(shards: number): Promise<string>;
}

export function fakeBackend(): Backend {
  const fake = createFakeAws();
  const client = new KinesisClient(fake.options);
  return {
    name: "fake",
    kinesis: fake.options,
    dynamodb: fake.options,
    client,
    throttleGetRecords: (times) => fake.kinesis.throttleNext("GetRecords", times),
    createStream: (shards) => createActive(client, shards),
  };
}

/**
 * The local servers, behind a fetch that can answer GetRecords with a throttling error the way AWS
 * does (no local server throttles).
 */
export function localBackend(): Backend {
  let throttles = 0;
  const throttling: typeof fetch = async (input, init) => {
    const target = new Headers(init?.headers).get("x-amz-target");
    if (target === "Kinesis_20131202.GetRecords" && throttles > 0) {
      throttles -= 1;
      return new Response(JSON.stringify({ __type: "ProvisionedThroughputExceededException", message: "Rate exceeded for shard" }), {
        status: 400,
        headers: { "content-type": "application/x-amz-json-1.1" },
      });
    }
    return fetch(input, init);
  };
  const reach = (endpoint: string): Reach => ({ fetch: throttling, endpoint, region: "us-east-1", credentials: testCredentials });
  const kinesis = reach(inject("kinesisEndpoint"));
  const client = new KinesisClient(kinesis);
  return {
    name: "local",
    kinesis,
    dynamodb: reach(inject("dynamodbEndpoint")),
    client,
    throttleGetRecords: (times) => (throttles += times),
    createStream: (shards) => createActive(client, shards),
  };
}

async function createActive(client: KinesisClient, shards: number): Promise<string> {
  const name = uniqueName("fidelity");
  await client.createStream(name, shards);
  await client.waitForActive(name, { pollInterval: 0.05 });
  return name;
}
