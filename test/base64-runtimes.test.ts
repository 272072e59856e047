import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeBase64, decodeBase64Portable, encodeBase64, encodeBase64Portable } from "../src/internal/base64.ts";
import { BASE64_DECODE_CASES, BASE64_ENCODE_LENGTHS, base64CaseBytes, type Base64Outcome } from "./runtimes/base64-cases.ts";

/**
 * src/internal/base64.ts uses the runtime's standard Uint8Array.toBase64/fromBase64 where they exist
 * (Deno, Bun) and portable code elsewhere (Node 20). Both paths must give the same strings, bytes and
 * errors, so the library behaves the same on every runtime.
 */

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "node_modules", ".bin");

interface CheckResult {
  nativeAvailable: boolean;
  encoded: string[];
  decoded: Base64Outcome[];
  sharedDecoded: Base64Outcome[];
}

function outcome(decode: (text: string) => Uint8Array, text: string): Base64Outcome {
  try {
    return { bytes: Array.from(decode(text)) };
  } catch (error) {
    return { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

const expectedEncoded = BASE64_ENCODE_LENGTHS.map((length) => encodeBase64Portable(base64CaseBytes(length)));
const expectedDecoded = BASE64_DECODE_CASES.map((text) => outcome(decodeBase64Portable, text));

function runCheck(command: string, args: string[]): Promise<CheckResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DO_NOT_TRACK: "1", NO_COLOR: "1" },
      timeout: 45_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => {
      if (code !== 0) return reject(new Error(`${command} exited with ${code}: ${stderr.slice(0, 2000)}`));
      const line = stdout.trim().split("\n").at(-1) ?? "";
      resolvePromise(JSON.parse(line) as CheckResult);
    });
  });
}

describe("base64 is the same on every runtime", () => {
  it("on Node the public functions are the portable ones (Node 20 has no native base64)", () => {
    for (let i = 0; i < BASE64_ENCODE_LENGTHS.length; i++) {
      expect(encodeBase64(base64CaseBytes(BASE64_ENCODE_LENGTHS[i]!))).toBe(expectedEncoded[i]);
    }
    expect(BASE64_DECODE_CASES.map((text) => outcome(decodeBase64, text))).toEqual(expectedDecoded);
  });

  it("the portable decoder accepts and rejects what the cases expect", () => {
    const byText = new Map(BASE64_DECODE_CASES.map((text, i) => [text, expectedDecoded[i]!]));
    expect(byText.get("-_-_")).toEqual({ bytes: [0xfb, 0xff, 0xbf] });
    expect(byText.get("aGVs\fbG8=")).toEqual({ bytes: Array.from(new TextEncoder().encode("hello")) });
    expect(byText.get("YQ==YQ==")).toEqual({ error: "DecodeError: invalid base64 character at offset 4" });
    expect(byText.get("ŁŁŁŁ")).toEqual({ error: "DecodeError: invalid base64 character at offset 0" });
    expect(byText.get("A")).toEqual({ error: "DecodeError: invalid base64 length" });
  });

  it("Deno (native Uint8Array.toBase64/fromBase64) matches the portable code", async () => {
    const result = await runCheck(join(BIN, "deno"), ["run", "--no-config", "--no-lock", "--no-prompt", "test/runtimes/base64-check.ts"]);
    expect(result.nativeAvailable).toBe(true);
    expect(result.encoded).toEqual(expectedEncoded);
    expect(result.decoded).toEqual(expectedDecoded);
    expect(result.sharedDecoded).toEqual(expectedDecoded);
  });

  it("Bun (native Uint8Array.toBase64/fromBase64) matches the portable code", async () => {
    const result = await runCheck(join(BIN, "bun"), ["run", "test/runtimes/base64-check.ts"]);
    expect(result.nativeAvailable).toBe(true);
    expect(result.encoded).toEqual(expectedEncoded);
    expect(result.decoded).toEqual(expectedDecoded);
    expect(result.sharedDecoded).toEqual(expectedDecoded);
  });
});
