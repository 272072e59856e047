/**
 * SigV4's hashes over `node:crypto` for the Node build (see src/aws/signing-crypto.ts): synchronous,
 * no copy of the body, no thread-pool hop. Registered by useNodeDefaults().
 */
import { createHash, createHmac } from "node:crypto";
import type { SigningCrypto } from "../aws/signing-crypto.ts";

export const nodeSigningCrypto: SigningCrypto = {
  sha256Hex: (data) => createHash("sha256").update(data).digest("hex"),
  hmacSha256: (key, data) => {
    const mac = createHmac("sha256", key).update(data).digest();
    return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength) as Uint8Array<ArrayBuffer>;
  },
};
