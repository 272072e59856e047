import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type TempHome, tempHome } from "./world.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

interface Result {
  credentials: { value?: string; error?: string; message?: string };
  region: { value?: string; error?: string; message?: string };
}

/** Run test/runtimes/deno-credentials.ts with `flags`, only HOME and PATH from our environment plus `env`. */
async function runDeno(home: TempHome, flags: string[], env: Record<string, string>): Promise<Result> {
  const importMap = await home.write(
    "import-map.json",
    JSON.stringify({
      imports: {
        aws4fetch: pathToFileURL(join(ROOT, "node_modules/aws4fetch/dist/aws4fetch.esm.mjs")).href,
        valibot: pathToFileURL(join(ROOT, "node_modules/valibot/dist/index.mjs")).href,
      },
    }),
  );
  const args = ["run", "--no-config", "--no-lock", "--no-prompt", `--import-map=${importMap}`, ...flags, "test/runtimes/deno-credentials.ts"];
  const childEnv = {
    PATH: process.env["PATH"] ?? "",
    HOME: home.home,
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
    DENO_DIR: join(ROOT, ".tmp", "deno-dir"),
    ...env,
  };
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((done, fail) => {
    const child = spawn(DENO, args, { cwd: ROOT, env: childEnv, timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", fail);
    child.on("close", (exitCode) => done({ stdout: out, stderr: err, code: exitCode }));
  });
  const line = stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as Result;
  } catch {
    throw new Error(`deno printed no JSON (exit ${code})\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`);
  }
}

describe("the credential chain on Deno", () => {
  let home: TempHome;
  beforeEach(async () => {
    home = await tempHome();
    await writeFile(home.path(".aws/credentials"), "[default]\naws_access_key_id = AKIDDENO\naws_secret_access_key = deno-secret\n");
    await writeFile(home.path(".aws/config"), "[default]\nregion = sa-east-1\n");
  });
  afterEach(async () => {
    await home.dispose();
  });

  it("reads ~/.aws/credentials and the profile's region with --allow-read and --allow-env", async () => {
    const result = await runDeno(home, ["--allow-read", "--allow-env"], { AWS_EC2_METADATA_DISABLED: "true" });
    expect(result).toEqual({ credentials: { value: "AKIDDENO" }, region: { value: "sa-east-1" } });
  });

  it("without --allow-read, both the credentials and the region fail with errors naming the flag", async () => {
    const result = await runDeno(home, ["--allow-env"], { AWS_EC2_METADATA_DISABLED: "true" });
    expect(result.credentials).toMatchObject({ error: "CredentialsError", message: expect.stringContaining("--allow-read") });
    expect(result.region).toMatchObject({ error: "ConfigError", message: expect.stringContaining("--allow-read") });
    expect(result.credentials.message).not.toContain("deno-secret");
  });

  it("credential_process runs with --allow-run, and without it the error names the flag", async () => {
    const json = await home.write("proc.json", JSON.stringify({ Version: 1, AccessKeyId: "AKIDDENOPROC", SecretAccessKey: "proc-secret" }));
    await writeFile(home.path(".aws/config"), `[profile proc]\nregion = sa-east-1\ncredential_process = cat ${json}\n`);
    const env = { AWS_EC2_METADATA_DISABLED: "true", AWS_PROFILE: "proc" };
    expect((await runDeno(home, ["--allow-read", "--allow-env", "--allow-run"], env)).credentials).toEqual({ value: "AKIDDENOPROC" });
    const denied = await runDeno(home, ["--allow-read", "--allow-env"], env);
    expect(denied.credentials).toMatchObject({ error: "CredentialsError", message: expect.stringContaining("--allow-run") });
  });

  it("without --allow-env, the chain says so instead of finding nothing", async () => {
    const result = await runDeno(home, ["--allow-read"], {});
    expect(result.credentials).toMatchObject({ error: "CredentialsError", message: expect.stringContaining("--allow-env") });
  });
});
