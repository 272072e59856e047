import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsJsonClient, type JsonProtocol } from "../src/aws/json-client.ts";
import type { Credentials } from "../src/aws/credentials.ts";
import { setSigningCrypto, type SigningCrypto, webSigningCrypto } from "../src/aws/signing-crypto.ts";
import { nodeSigningCrypto } from "../src/node/signing-crypto.ts";
import { SubscribeClient } from "../src/kinesis/subscribe.ts";
import { ManualClock } from "../src/testing/manual-clock.ts";

/**
 * Oracle: every signature our client produces (src/aws/signer.ts, with WebCrypto or node:crypto) must be byte-identical
 * to the one `@smithy/signature-v4` (the AWS SDK's signer) computes for the same request, datetime and
 * signed headers, with node's own crypto as its hash, so no code is shared between the two sides.
 */

const KINESIS: JsonProtocol = { service: "kinesis", contentType: "application/x-amz-json-1.1", targetPrefix: "Kinesis_20131202" };
const DYNAMODB: JsonProtocol = { service: "dynamodb", contentType: "application/x-amz-json-1.0", targetPrefix: "DynamoDB_20120810" };

/**
 * aws4fetch signs `host` plus every header it was given or added (x-amz-date, x-amz-security-token,
 * x-amz-target) except its UNSIGNABLE_HEADERS, which include `content-type`; it sends no
 * x-amz-content-sha256 header for non-S3 services (the body hash is still in the canonical request).
 * The oracle is told the same: `content-type` unsignable, no checksum header.
 */
const ORACLE_UNSIGNABLE = new Set(["content-type"]);

/** A `ChecksumConstructor` for smithy over node's crypto: HMAC when given a key, plain SHA-256 otherwise. */
class NodeSha256 {
  readonly #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
  reset(): void {
    throw new Error("not needed by the signer");
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (typeof data === "string") return new TextEncoder().encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

interface Case {
  title: string;
  protocol: JsonProtocol;
  endpoint?: string;
  region: string;
  operation: string;
  body: unknown;
  credentials: Credentials;
  datetime: string;
}

const plain: Credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const temporary: Credentials = {
  accessKeyId: "ASIAEXAMPLETEMP",
  secretAccessKey: "tempSecret/with+slash=",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token==",
};

const cases: Case[] = [
  {
    title: "Kinesis PutRecord, default endpoint, no session token",
    protocol: KINESIS,
    region: "us-east-1",
    operation: "PutRecord",
    body: { StreamName: "orders", Data: "aGVsbG8=", PartitionKey: "pk-1" },
    credentials: plain,
    datetime: "20240229T235959Z",
  },
  {
    title: "Kinesis GetRecords in eu-west-2 with a session token",
    protocol: KINESIS,
    region: "eu-west-2",
    operation: "GetRecords",
    body: { ShardIterator: "AAAAAAAAAAE+/=iterator", Limit: 10000 },
    credentials: temporary,
    datetime: "20250101T000000Z",
  },
  {
    title: "Kinesis PutRecords with a unicode body against http://127.0.0.1:port",
    protocol: KINESIS,
    endpoint: "http://127.0.0.1:4567",
    region: "us-east-1",
    operation: "PutRecords",
    body: { StreamName: "ström-ñ", Records: [{ Data: "8J+Ygg==", PartitionKey: "ключ 🔑 キー" }] },
    credentials: temporary,
    datetime: "20240615T120000Z",
  },
  {
    title: "Kinesis ListShards in a China region (amazonaws.com.cn)",
    protocol: KINESIS,
    region: "cn-north-1",
    operation: "ListShards",
    body: { StreamName: "s", ShardFilter: { Type: "AT_LATEST" } },
    credentials: plain,
    datetime: "20231231T235959Z",
  },
  {
    title: "DynamoDB PutItem, default endpoint, no session token",
    protocol: DYNAMODB,
    region: "us-west-2",
    operation: "PutItem",
    body: {
      TableName: "kinesis-checkpoints-app",
      Item: { shard_id: { S: "app/stream/shardId-000000000000" }, ts: { N: "1700000000" } },
      ConditionExpression: "attribute_not_exists(shard_id) OR #ref = :ref",
      ExpressionAttributeNames: { "#ref": "ref" },
      ExpressionAttributeValues: { ":ref": { S: "app/worker-1" } },
    },
    credentials: plain,
    datetime: "20240101T010203Z",
  },
  {
    title: "DynamoDB UpdateItem with a unicode body and a session token against a local port",
    protocol: DYNAMODB,
    endpoint: "http://127.0.0.1:8000/",
    region: "ap-southeast-2",
    operation: "UpdateItem",
    body: {
      TableName: "tbl",
      Key: { shard_id: { S: "gruppe/straße/€" } },
      UpdateExpression: "SET #n = :n",
      ExpressionAttributeNames: { "#n": "note" },
      ExpressionAttributeValues: { ":n": { S: 'emoji 😀, tab\t, newline\n, quote " and backslash \\' } },
    },
    credentials: temporary,
    datetime: "20260426T101010Z",
  },
  {
    title: "Kinesis PutRecords through an endpoint with a path (a proxy prefix)",
    protocol: KINESIS,
    endpoint: "https://proxy.example.com:8443/aws/kinesis",
    region: "eu-central-1",
    operation: "PutRecords",
    body: { StreamName: "s", Records: [{ Data: "AA==", PartitionKey: "k" }] },
    credentials: temporary,
    datetime: "20260301T000000Z",
  },
  {
    title: "DynamoDB DescribeTable against a custom https endpoint with a path-less host",
    protocol: DYNAMODB,
    endpoint: "https://dynamodb.fips.us-gov-west-1.amazonaws.com",
    region: "us-gov-west-1",
    operation: "DescribeTable",
    body: { TableName: "t" },
    credentials: plain,
    datetime: "20240707T070707Z",
  },
];

/** What smithy says the signed request's headers must be, for the same inputs. */
async function oracleSign(client: AwsJsonClient, operation: string, payload: string, credentials: Credentials, datetime: string) {
  const url = new URL(`${client.endpoint}/`);
  const signer = new SignatureV4({
    service: client.protocol.service,
    region: client.region,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
    },
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const signingDate = new Date(
    `${datetime.slice(0, 4)}-${datetime.slice(4, 6)}-${datetime.slice(6, 8)}T${datetime.slice(9, 11)}:${datetime.slice(11, 13)}:${datetime.slice(13, 15)}Z`,
  );
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === "" ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        "content-type": client.protocol.contentType,
        "x-amz-target": `${client.protocol.targetPrefix}.${operation}`,
      },
      body: payload,
    },
    { signingDate, unsignableHeaders: ORACLE_UNSIGNABLE },
  );
  return signed.headers;
}

function ours(c: Case): AwsJsonClient {
  return new AwsJsonClient(c.protocol, { region: c.region, ...(c.endpoint === undefined ? {} : { endpoint: c.endpoint }) });
}

/** The Web build hashes with WebCrypto, the Node build with node:crypto: both must sign alike. */
const CRYPTOS: Array<{ name: string; implementation: SigningCrypto }> = [
  { name: "WebCrypto (Web build)", implementation: webSigningCrypto },
  { name: "node:crypto (Node build)", implementation: nodeSigningCrypto },
];

describe.each(CRYPTOS)("SigV4 signatures match @smithy/signature-v4 byte for byte, hashing with $name", ({ implementation }) => {
  beforeAll(() => setSigningCrypto(implementation));
  afterAll(() => setSigningCrypto(undefined));

  for (const c of cases) {
    it(c.title, async () => {
      const client = ours(c);
      const payload = JSON.stringify(c.body);
      const signed = await client.sign(c.operation, payload, c.credentials, c.datetime);
      const oracle = await oracleSign(client, c.operation, payload, c.credentials, c.datetime);

      expect(signed.headers.get("authorization")).toBe(oracle["authorization"]);
      expect(signed.headers.get("x-amz-date")).toBe(c.datetime);
      expect(signed.headers.get("x-amz-date")).toBe(oracle["x-amz-date"]);
      expect(signed.headers.get("x-amz-security-token") ?? undefined).toBe(oracle["x-amz-security-token"]);
      expect(signed.headers.get("x-amz-security-token") ?? undefined).toBe(c.credentials.sessionToken);
      expect(signed.headers.get("x-amz-content-sha256") ?? undefined).toBe(oracle["x-amz-content-sha256"]);
      // The headers that travel must be the ones that were signed, with the values that were signed.
      expect(signed.headers.get("x-amz-target")).toBe(`${c.protocol.targetPrefix}.${c.operation}`);
      expect(signed.headers.get("content-type")).toBe(c.protocol.contentType);
      const signedList = /SignedHeaders=([^,]+),/.exec(signed.headers.get("authorization") ?? "")?.[1];
      expect(signedList).toBe(
        c.credentials.sessionToken === undefined ? "host;x-amz-date;x-amz-target" : "host;x-amz-date;x-amz-security-token;x-amz-target",
      );
      expect(signed.headers.get("authorization")).toContain(
        `Credential=${c.credentials.accessKeyId}/${c.datetime.slice(0, 8)}/${c.region}/${c.protocol.service}/aws4_request`,
      );
    });
  }

  it("the comparison is sensitive: one changed body byte changes both signatures alike", async () => {
    const c = cases[0]!;
    const client = ours(c);
    const a = JSON.stringify(c.body);
    const b = a.replace("pk-1", "pk-2");
    const [oursA, oursB] = await Promise.all([client.sign(c.operation, a, c.credentials, c.datetime), client.sign(c.operation, b, c.credentials, c.datetime)]);
    const oracleB = await oracleSign(client, c.operation, b, c.credentials, c.datetime);
    expect(oursA.headers.get("authorization")).not.toBe(oursB.headers.get("authorization"));
    expect(oursB.headers.get("authorization")).toBe(oracleB["authorization"]);
  });

  it("signs the URL with the endpoint's trailing slash removed, and the host with its port", async () => {
    const c = cases[5]!;
    const client = ours(c);
    const signed = await client.sign(c.operation, JSON.stringify(c.body), c.credentials, c.datetime);
    expect(signed.url).toBe("http://127.0.0.1:8000/");
  });

  it("a session token with whitespace around it is signed as it is sent (trimmed), as SigV4 canonicalises header values", async () => {
    const client = new AwsJsonClient(KINESIS, { region: "us-east-1" });
    const padded: Credentials = { ...temporary, sessionToken: `  ${temporary.sessionToken!}\t ` };
    const signed = await client.sign("ListShards", "{}", padded, "20250101T000000Z");
    // Headers drops the surrounding whitespace: this is the value the service sees and canonicalises.
    expect(signed.headers.get("x-amz-security-token")).toBe(temporary.sessionToken);
    const oracle = await oracleSign(client, "ListShards", "{}", padded, "20250101T000000Z");
    expect(signed.headers.get("authorization")).toBe(oracle["authorization"]);
  });

  it("a body given as bytes signs as the same body given as a string; an empty body signs as the SDK's", async () => {
    const c = cases[2]!;
    const client = ours(c);
    const text = JSON.stringify(c.body);
    const fromText = await client.sign(c.operation, text, c.credentials, c.datetime);
    const fromBytes = await client.sign(c.operation, new TextEncoder().encode(text), c.credentials, c.datetime);
    expect(fromBytes.headers.get("authorization")).toBe(fromText.headers.get("authorization"));
    expect(fromBytes.headers.get("authorization")).toBe((await oracleSign(client, c.operation, text, c.credentials, c.datetime))["authorization"]);
    const empty = await client.sign(c.operation, "", c.credentials, c.datetime);
    expect(empty.headers.get("authorization")).toBe((await oracleSign(client, c.operation, "", c.credentials, c.datetime))["authorization"]);
  });

  it("across midnight UTC (and a new year) the cached signing key follows the date, with a session token, a late request included", async () => {
    const client = new AwsJsonClient(DYNAMODB, { region: "eu-west-1" });
    for (const datetime of ["20241231T235959Z", "20250101T000000Z", "20250101T000001Z", "20241231T235959Z", "20250101T000002Z"]) {
      const signed = await client.sign("GetItem", '{"TableName":"t"}', temporary, datetime);
      const oracle = await oracleSign(client, "GetItem", '{"TableName":"t"}', temporary, datetime);
      expect(signed.headers.get("authorization")).toBe(oracle["authorization"]);
      expect(signed.headers.get("authorization")).toContain(`/${datetime.slice(0, 8)}/eu-west-1/dynamodb/aws4_request`);
    }
  });

  it("a secret rotated within the day gets its own signing key (no key of the old secret is reused)", async () => {
    const client = new AwsJsonClient(KINESIS, { region: "us-east-1" });
    const rotated: Credentials = { accessKeyId: "AKIDROTATED", secretAccessKey: "anotherSecret/+=" };
    for (const credentials of [plain, rotated, plain, temporary, rotated]) {
      const signed = await client.sign("ListShards", "{}", credentials, "20260615T101010Z");
      const oracle = await oracleSign(client, "ListShards", "{}", credentials, "20260615T101010Z");
      expect(signed.headers.get("authorization")).toBe(oracle["authorization"]);
    }
  });

  it("clients for different services and regions signing in turn each use their own scope and key", async () => {
    const clients = [
      new AwsJsonClient(KINESIS, { region: "us-east-1" }),
      new AwsJsonClient(DYNAMODB, { region: "us-east-1" }),
      new AwsJsonClient(KINESIS, { region: "ap-northeast-1" }),
      new AwsJsonClient(DYNAMODB, { region: "sa-east-1", endpoint: "http://127.0.0.1:8000" }),
    ];
    for (let round = 0; round < 2; round++) {
      for (const client of clients) {
        const signed = await client.sign("ListShards", "{}", temporary, "20260301T120000Z");
        const oracle = await oracleSign(client, "ListShards", "{}", temporary, "20260301T120000Z");
        expect(signed.headers.get("authorization")).toBe(oracle["authorization"]);
        expect(signed.headers.get("authorization")).toContain(`/20260301/${client.region}/${client.protocol.service}/aws4_request`);
      }
    }
  });

  it("an endpoint path that needs percent-encoding (a proxy prefix), or an IPv6 host, signs as the SDK's canonical URI and host", async () => {
    for (
      const endpoint of [
        "https://proxy.example.com/aws%20kinesis/str%C3%B6m",
        "https://proxy.example.com/a:b/c~d/e@f",
        "https://proxy.example.com//double//slash",
        "http://[::1]:4567",
      ]
    ) {
      const client = new AwsJsonClient(KINESIS, { region: "us-east-1", endpoint });
      const signed = await client.sign("ListShards", "{}", plain, "20260301T120000Z");
      const oracle = await oracleSign(client, "ListShards", "{}", plain, "20260301T120000Z");
      expect({ endpoint, authorization: signed.headers.get("authorization") }).toEqual({ endpoint, authorization: oracle["authorization"] });
    }
  });

  it("a signing key cached from an earlier day or region is not reused", async () => {
    const client = new AwsJsonClient(KINESIS, { region: "us-east-1" });
    for (const datetime of ["20240101T000000Z", "20240102T000000Z", "20240101T235959Z"]) {
      const signed = await client.sign("ListShards", "{}", plain, datetime);
      const oracle = await oracleSign(client, "ListShards", "{}", plain, datetime);
      expect(signed.headers.get("authorization")).toBe(oracle["authorization"]);
    }
  });
});

describe("requests are signed at the client's clock, not the runtime's", () => {
  /** 2021-03-04T05:06:07Z: far from the machine's time, so a signature made with `new Date()` cannot match. */
  const FIXED_EPOCH_MS = Date.UTC(2021, 2, 4, 5, 6, 7, 890);
  const FIXED_AMZ_DATE = "20210304T050607Z";

  /** A fetch that records the headers of each request and answers `answer` (loopback never reached). */
  function capturingFetch(answer: () => Response): { fetch: typeof fetch; sent: Headers[] } {
    const sent: Headers[] = [];
    const fetch: typeof globalThis.fetch = (_input, init) => {
      sent.push(new Headers(init?.headers));
      return Promise.resolve(answer());
    };
    return { fetch, sent };
  }

  it("a client with a manual clock sends exactly that x-amz-date and credential scope, and the SDK's signature for that time", async () => {
    const tap = capturingFetch(() => new Response("{}", { status: 200 }));
    const client = new AwsJsonClient(KINESIS, { region: "eu-west-1", credentials: temporary, fetch: tap.fetch, clock: new ManualClock(FIXED_EPOCH_MS) });
    const body = { StreamName: "s" };
    await client.call("ListShards", body);

    const headers = tap.sent[0]!;
    expect(headers.get("x-amz-date")).toBe(FIXED_AMZ_DATE);
    expect(headers.get("authorization")).toContain(`Credential=${temporary.accessKeyId}/20210304/eu-west-1/kinesis/aws4_request`);
    const oracle = await oracleSign(client, "ListShards", JSON.stringify(body), temporary, FIXED_AMZ_DATE);
    expect(headers.get("authorization")).toBe(oracle["authorization"]);
  });

  it("the clock is read per request: advancing it moves the next request's x-amz-date (across midnight, a new scope)", async () => {
    const tap = capturingFetch(() => new Response("{}", { status: 200 }));
    const clock = new ManualClock(Date.UTC(2022, 11, 31, 23, 59, 59));
    const client = new AwsJsonClient(DYNAMODB, { region: "us-east-1", credentials: plain, fetch: tap.fetch, clock });
    await client.call("DescribeTable", { TableName: "t" });
    await clock.advance(2_000);
    await client.call("DescribeTable", { TableName: "t" });

    expect(tap.sent.map((h) => h.get("x-amz-date"))).toEqual(["20221231T235959Z", "20230101T000001Z"]);
    expect(tap.sent[1]!.get("authorization")).toContain("/20230101/us-east-1/dynamodb/aws4_request");
  });

  it("SubscribeToShard (enhanced fan-out) is signed at the client's clock too", async () => {
    const tap = capturingFetch(() => new Response('{"__type":"ResourceNotFoundException","message":"no such consumer"}', { status: 400 }));
    const client = new SubscribeClient({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:4567",
      credentials: plain,
      subscribeFetch: tap.fetch,
      clock: new ManualClock(FIXED_EPOCH_MS),
    });
    await expect(client.subscribeRaw("arn:aws:kinesis:us-east-1:123456789012:stream/s/consumer/c:1", "shardId-000000000000", { type: "LATEST" }))
      .rejects.toThrow(/no such consumer/);

    expect(tap.sent[0]!.get("x-amz-date")).toBe(FIXED_AMZ_DATE);
    expect(tap.sent[0]!.get("authorization")).toContain(`Credential=${plain.accessKeyId}/20210304/us-east-1/kinesis/aws4_request`);
  });
});
