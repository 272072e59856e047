/**
 * The hashes SigV4 needs: SHA-256 of the request body and of the canonical request, and HMAC-SHA-256
 * for the signing-key chain and the signature. The default is WebCrypto (what aws4fetch uses), so the
 * Web build stays portable. The Node build registers `node:crypto` (src/node/signing-crypto.ts):
 * synchronous, about half the CPU of `crypto.subtle.digest` for a ~56 KB PutRecords body (which copies
 * the bytes and hops to the thread pool), and ~2 µs per HMAC instead of ~40 µs for WebCrypto's
 * importKey + sign. This module itself imports nothing runtime-specific.
 */
export interface SigningCrypto {
  /** Lowercase hex SHA-256 of `data` (a string is hashed as UTF-8). */
  sha256Hex(data: string | Uint8Array<ArrayBuffer>): string | Promise<string>;
  /** HMAC-SHA-256 of the UTF-8 of `data` under `key` (a string key as UTF-8). */
  hmacSha256(key: string | Uint8Array<ArrayBuffer>, data: string): Uint8Array<ArrayBuffer> | Promise<Uint8Array<ArrayBuffer>>;
}

let encoder: TextEncoder | undefined;

function utf8(text: string): Uint8Array<ArrayBuffer> {
  encoder ??= new TextEncoder();
  return encoder.encode(text);
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]!;
  return out;
}

/**
 * Imported HMAC keys by their bytes' array: the day's signing key is one array, used for every request
 * of the day, and importKey costs as much as the HMAC itself. Weak, so old days' keys go with their arrays.
 * Callers never write other bytes into a key array (the signer derives a new one per day).
 */
const importedKeys = new WeakMap<Uint8Array, CryptoKey>();

async function hmacKey(key: string | Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  if (typeof key === "string") return importHmacKey(utf8(key));
  let imported = importedKeys.get(key);
  if (imported === undefined) importedKeys.set(key, imported = await importHmacKey(key));
  return imported;
}

function importHmacKey(raw: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** WebCrypto: every runtime has it (`crypto.subtle`). */
export const webSigningCrypto: SigningCrypto = {
  async sha256Hex(data) {
    return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", typeof data === "string" ? utf8(data) : data)));
  },
  async hmacSha256(key, data) {
    return new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(key), utf8(data)));
  },
};

let preferred: SigningCrypto | undefined;

/** Called by the Node entry when it is loaded; `undefined` goes back to WebCrypto. */
export function setSigningCrypto(implementation: SigningCrypto | undefined): void {
  preferred = implementation;
}

/** The implementation in force: the registered one, else WebCrypto. */
export function signingCrypto(): SigningCrypto {
  return preferred ?? webSigningCrypto;
}
