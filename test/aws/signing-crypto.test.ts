import { createHash, createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { EncodedJson } from "../../src/aws/encoded-json.ts";
import { AwsJsonClient, type JsonProtocol } from "../../src/aws/json-client.ts";
import { setSigningCrypto, type SigningCrypto, webSigningCrypto } from "../../src/aws/signing-crypto.ts";
import { nodeSigningCrypto } from "../../src/node/signing-crypto.ts";

const KINESIS: JsonProtocol = { service: "kinesis", contentType: "application/x-amz-json-1.1", targetPrefix: "Kinesis_20131202" };
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret/with+slash=" };

afterEach(() => setSigningCrypto(undefined));

/** A view into the middle of a larger buffer, as pooled UTF-8 and Node buffers are. */
function viewInTheMiddle(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const backing = new Uint8Array(bytes.length + 64).fill(0x41);
  backing.set(bytes, 32);
  return backing.subarray(32, 32 + bytes.length);
}

describe("SigV4 hashing (WebCrypto in the Web build, node:crypto in the Node build)", () => {
  for (const [name, implementation] of [["WebCrypto", webSigningCrypto], ["node:crypto", nodeSigningCrypto]] as const) {
    it(`${name}: SHA-256 and HMAC equal node:crypto's, hash only a view's own bytes, and strings as UTF-8`, async () => {
      const text = '{"StreamName":"ström","Records":[{"Data":"8J+Ygg==","PartitionKey":"ключ 🔑"}]}';
      const expected = createHash("sha256").update(text, "utf8").digest("hex");
      expect(await implementation.sha256Hex(text)).toBe(expected);
      expect(await implementation.sha256Hex(viewInTheMiddle(text))).toBe(expected);
      const key = viewInTheMiddle("a key in a view");
      const mac = await implementation.hmacSha256(key, "to sign ✓");
      expect(Buffer.from(mac).toString("hex")).toBe(createHmac("sha256", "a key in a view").update("to sign ✓", "utf8").digest("hex"));
      // The same key array again (a day's signing key signs every request; WebCrypto imports it once).
      const again = await implementation.hmacSha256(key, "another request");
      expect(Buffer.from(again).toString("hex")).toBe(createHmac("sha256", "a key in a view").update("another request").digest("hex"));
      expect(Buffer.from(await implementation.hmacSha256("AWS4secret", "20260101")).toString("hex")).toBe(
        createHmac("sha256", "AWS4secret").update("20260101").digest("hex"),
      );
    });
  }

  it("the body hash the signer signs is the SHA-256 of the bytes sent, computed once per request", async () => {
    const hashed: Array<string | Uint8Array> = [];
    const recording: SigningCrypto = {
      sha256Hex: (data) => {
        hashed.push(data);
        return nodeSigningCrypto.sha256Hex(data);
      },
      hmacSha256: nodeSigningCrypto.hmacSha256,
    };
    setSigningCrypto(recording);
    let sent: unknown;
    const client = new AwsJsonClient(KINESIS, {
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials,
      fetch: (_input, init) => {
        sent = init?.body;
        return Promise.resolve(new Response("{}", { status: 200 }));
      },
    });
    const body = viewInTheMiddle('{"StreamName":"s","Records":[]}');
    await client.call("PutRecords", new EncodedJson(body));

    // Two hashes per signed request: the body's, then the canonical request's (which carries the body's).
    expect(hashed).toHaveLength(2);
    expect(hashed[0]).toBe(sent);
    expect(sent).toBe(body);
    const bodyHash = createHash("sha256").update(body).digest("hex");
    expect(hashed[1]).toEqual(expect.stringMatching(new RegExp(`\\n${bodyHash}$`)));
  });
});
