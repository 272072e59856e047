import { AwsV4Signer } from "aws4fetch";
import type { Credentials } from "./credentials.ts";
import { type SigningCrypto, signingCrypto, toHex } from "./signing-crypto.ts";

/** Never read or written: the probe signer below only computes the URL's canonical parts. */
const UNUSED_CACHE = new Map<string, ArrayBuffer>();

/**
 * SigV4 for the one request shape the JSON clients send: `POST` to a fixed URL with `content-type`,
 * `x-amz-target`, `x-amz-date` and, with temporary credentials, `x-amz-security-token`. The parts that
 * never change per client (canonical URI and query, host, credential scope) are worked out once;
 * the URL's canonical form comes from aws4fetch (a probe signer made at construction), so its rules
 * for paths and queries apply unchanged. Per request only the canonical request string, two hashes
 * and one HMAC remain, where aws4fetch would parse the URL, build and sort a Headers object and hash the
 * body again. The caller gives the body's SHA-256 (it hashes it once, with the runtime's fastest
 * SHA-256). Signed headers are `host;x-amz-date[;x-amz-security-token];x-amz-target`, as aws4fetch signs
 * them (`content-type` unsigned, no x-amz-content-sha256: the AWS SDK sends none to Kinesis and
 * DynamoDB). test/oracle-signature.test.ts checks every signature against the SDK's signer.
 */
export class RequestSigner {
  readonly url: string;
  readonly #service: string;
  readonly #region: string;
  readonly #contentType: string;
  /** `POST\n<uri>\n<query>\nhost:<host>\n`: the start of every canonical request. */
  readonly #canonicalStart: string;
  /** Signing keys per secret and day; one per day in practice (see #signingKey). */
  readonly #keys = new Map<string, Uint8Array<ArrayBuffer>>();

  constructor(url: string, service: string, region: string, contentType: string) {
    const probe = new AwsV4Signer({ url, method: "POST", accessKeyId: "-", secretAccessKey: "-", service, region, cache: UNUSED_CACHE });
    this.url = probe.url.toString();
    this.#service = service;
    this.#region = region;
    this.#contentType = contentType;
    this.#canonicalStart = `POST\n${probe.encodedPath}\n${probe.encodedSearch}\nhost:${headerValue(probe.url.host)}\n`;
  }

  /**
   * The headers to send for a body whose SHA-256 is `bodyHash`, at `datetime` (`YYYYMMDDTHHMMSSZ`). No default:
   * the time comes from the caller's injected clock (see `amzDate`), never from the runtime's `Date`.
   */
  async sign(target: string, bodyHash: string, credentials: Credentials, datetime: string): Promise<Headers> {
    const crypto = signingCrypto();
    const token = credentials.sessionToken;
    const signedHeaders = token === undefined ? "host;x-amz-date;x-amz-target" : "host;x-amz-date;x-amz-security-token;x-amz-target";
    const canonical = `${this.#canonicalStart}x-amz-date:${datetime}\n${token === undefined ? "" : `x-amz-security-token:${headerValue(token)}\n`}` +
      `x-amz-target:${headerValue(target)}\n\n${signedHeaders}\n${bodyHash}`;
    const day = datetime.slice(0, 8);
    const scope = `${day}/${this.#region}/${this.#service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${datetime}\n${scope}\n${await crypto.sha256Hex(canonical)}`;
    const key = await this.#signingKey(crypto, credentials.secretAccessKey, day);
    const signature = toHex(await crypto.hmacSha256(key, stringToSign));
    const headers = new Headers({ "content-type": this.#contentType, "x-amz-target": target, "x-amz-date": datetime });
    if (token !== undefined) headers.set("x-amz-security-token", token);
    headers.set("authorization", `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`);
    return headers;
  }

  async #signingKey(crypto: SigningCrypto, secret: string, day: string): Promise<Uint8Array<ArrayBuffer>> {
    const cacheKey = `${day}\n${secret}`;
    const cached = this.#keys.get(cacheKey);
    if (cached !== undefined) return cached;
    const dayKey = await crypto.hmacSha256(`AWS4${secret}`, day);
    const regionKey = await crypto.hmacSha256(dayKey, this.#region);
    const serviceKey = await crypto.hmacSha256(regionKey, this.#service);
    const key = await crypto.hmacSha256(serviceKey, "aws4_request");
    // Keys of other days or rotated secrets are not needed again.
    this.#keys.clear();
    this.#keys.set(cacheKey, key);
    return key;
  }
}

/**
 * A header value as SigV4 canonicalises it: trimmed, runs of whitespace made one space. The trim
 * matters: `Headers` sends the value trimmed, so a session token read with a stray space or newline
 * would otherwise be signed as something other than what the service receives.
 */
function headerValue(value: string): string {
  return /\s/.test(value) ? value.trim().replace(/\s+/g, " ") : value;
}

/** `epochMs` as `YYYYMMDDTHHMMSSZ`, the x-amz-date format. */
export function amzDate(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[:-]|\.\d{3}/g, "");
}
