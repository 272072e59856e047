/**
 * Installing the package the way a user would — from `npm pack`'s tarball or from a git URL — into a
 * throw-away app, without the network and without touching the working tree.
 *
 * - The package is built from a snapshot of the working tree (tracked and untracked, not ignored
 *   files) in a temp dir, so `prepare` writes its dist/ there, never into this repository's dist/
 *   (which test/build.test.ts, a developer's `npm run build` or another test might be using).
 * - Apps live under the OS temp dir, not under the repository, so module resolution cannot climb
 *   into this repository's node_modules and hide a missing dependency.
 * - The runtime dependencies come from tarballs packed out of ./node_modules (the versions the
 *   lockfile pinned), so `npm install --offline` needs no registry metadata for them.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(ROOT, "node_modules", ".bin");
const execFileAsync = promisify(execFile);

/** npm and git without update checks, audits or funding notes, and with the caller's cache. */
function quietEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    npm_config_loglevel: "error",
    DENO_NO_UPDATE_CHECK: "1",
    DO_NOT_TRACK: "1",
    NO_COLOR: "1",
    ...extra,
  };
}

/** Runs a command; a failure carries its whole output so the test report shows why. */
export async function exec(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs: number; env?: Record<string, string> },
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      cwd: options.cwd,
      env: quietEnv(options.env),
      timeout: options.timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${options.cwd}\n--- stderr ---\n${stderr ?? ""}\n--- stdout ---\n${stdout ?? ""}`, {
      cause: error,
    });
  }
}

export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `async-kinesis-${prefix}-`));
}

/**
 * The working tree as git would see it (tracked plus untracked, minus ignored: no dist/, no
 * node_modules/), copied to `dir`. With `linkNodeModules`, ./node_modules is linked in so scripts run.
 */
export async function snapshotWorkingTree(dir: string, options: { linkNodeModules: boolean }): Promise<void> {
  const listing = await exec("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, timeoutMs: 30_000 });
  for (const file of listing.split("\0")) {
    // A tracked file deleted in the working tree is not part of it.
    if (file === "" || !existsSync(join(ROOT, file))) continue;
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(dir, file));
  }
  if (options.linkNodeModules) await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

/** `npm pack` in `packageDir` (which runs `prepare`), the tarball written to `destination`. */
export async function pack(packageDir: string, destination: string, options: { ignoreScripts: boolean }): Promise<string> {
  const before = new Set(await readdir(destination));
  const flags = options.ignoreScripts ? ["--ignore-scripts"] : [];
  await exec("npm", ["pack", ...flags, "--pack-destination", destination], { cwd: packageDir, timeoutMs: 180_000 });
  // `npm pack --json` would name it, but prepare's output lands on the same stdout: look instead.
  const made = (await readdir(destination)).filter((name) => name.endsWith(".tgz") && !before.has(name));
  if (made.length !== 1) throw new Error(`npm pack in ${packageDir} made ${made.length} tarballs: ${made.join(", ")}`);
  return join(destination, made[0]!);
}

/** The file names inside a tarball, without npm's leading `package/`. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const listing = await exec("tar", ["-tzf", tarball], { cwd: dirname(tarball), timeoutMs: 30_000 });
  return listing
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.replace(/^package\//, ""));
}

/** Tarballs of this package's runtime dependencies, packed from ./node_modules at the pinned versions. */
export async function dependencyTarballs(destination: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  const tarballs: string[] = [];
  for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
    const dir = join(ROOT, "node_modules", name);
    const installed = (JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { version: string }).version;
    if (installed !== version) throw new Error(`node_modules/${name} is ${installed}, package.json pins ${version}: run npm ci`);
    tarballs.push(await pack(dir, destination, { ignoreScripts: true }));
  }
  return tarballs;
}

/** An empty ESM app in `dir` with `npm install --offline <specs...>` done. */
export async function installApp(dir: string, specs: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "install-check-app", private: true, type: "module" }, null, 2));
  try {
    await exec("npm", ["install", "--offline", "--no-package-lock", ...specs], { cwd: dir, timeoutMs: 300_000 });
  } catch (error) {
    const text = String(error);
    if (text.includes("ENOTCACHED")) {
      throw new Error(`npm's cache lacks a package this install needs (this test stays off the network); \`npm ci\` in ${ROOT} fills it.\n${text}`, {
        cause: error,
      });
    }
    throw error;
  }
}
