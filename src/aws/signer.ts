import { AwsV4Signer } from "aws4fetch";
import { type SigningCrypto, toHex } from "./signing-crypto.ts";

/** What aws4fetch's signer takes, without the cache (this signer keeps its own). */
type SignerInit = Omit<ConstructorParameters<typeof AwsV4Signer>[0], "cache">;

/** Signing keys per secret, day, region and service, as SigV4 derives them: one chain per day, not per request. */
export type SigningKeyCache = Map<string, Uint8Array<ArrayBuffer>>;

/** Never read or written: this signer caches its keys in a SigningKeyCache (aws4fetch would make a Map per request). */
const UNUSED_CACHE = new Map<string, ArrayBuffer>();

/**
 * aws4fetch's SigV4 signer (it builds the canonical request: URL, headers, their order) with the
 * hashing done by a SigningCrypto, and the body's SHA-256 given by the caller. aws4fetch would hash
 * the body itself with WebCrypto; here the caller hashes it once with the fastest hash of the runtime
 * (node:crypto in the Node build). The signed headers are unchanged: no x-amz-content-sha256 is sent,
 * as the AWS SDK sends none to Kinesis and DynamoDB.
 */
export class PrehashedSigner extends AwsV4Signer {
  readonly #crypto: SigningCrypto;
  readonly #bodyHash: string;
  readonly #keys: SigningKeyCache;

  constructor(init: SignerInit, crypto: SigningCrypto, bodyHash: string, keys: SigningKeyCache) {
    super({ ...init, cache: UNUSED_CACHE });
    this.#crypto = crypto;
    this.#bodyHash = bodyHash;
    this.#keys = keys;
  }

  override hexBodyHash(): Promise<string> {
    return Promise.resolve(this.#bodyHash);
  }

  override async stringToSign(): Promise<string> {
    const canonicalHash = await this.#crypto.sha256Hex(await this.canonicalString());
    return `AWS4-HMAC-SHA256\n${this.datetime}\n${this.credentialString}\n${canonicalHash}`;
  }

  override async signature(): Promise<string> {
    const day = this.datetime.slice(0, 8);
    const cacheKey = `${this.secretAccessKey}\n${day}\n${this.region}\n${this.service}`;
    let key = this.#keys.get(cacheKey);
    if (key === undefined) {
      const crypto = this.#crypto;
      const dayKey = await crypto.hmacSha256(`AWS4${this.secretAccessKey}`, day);
      const regionKey = await crypto.hmacSha256(dayKey, this.region);
      const serviceKey = await crypto.hmacSha256(regionKey, this.service);
      key = await crypto.hmacSha256(serviceKey, "aws4_request");
      // A client signs for one region and service; the day changes, so old days are dropped.
      this.#keys.clear();
      this.#keys.set(cacheKey, key);
    }
    return toHex(await this.#crypto.hmacSha256(key, await this.stringToSign()));
  }
}
