/**
 * Worker processes for the chaos run: test/fleet/worker-main.ts bundled once with esbuild and spawned
 * per incarnation. Unlike ChildWorker (child-worker.ts), each incarnation keeps its stdout lines in
 * one ordered log, so a delivery is attributed to the lease run it happened in by line order, not by
 * millisecond timestamps that tie. Works from vitest and from a script bundled into .tmp/ (paths come
 * from the repository root, found by walking up, not from this file's URL, which bundling moves).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { WorkerConfig, WorkerLine } from "./worker-main.ts";

/** The async-kinesis checkout this module runs from (its package.json names it). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "async-kinesis") return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no async-kinesis package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export interface WorkerBundle {
  file: string;
  remove(): Promise<void>;
}

/** Bundle worker-main.ts into .tmp/ (inside the repository, so its bare imports resolve from node_modules). */
export async function bundleChaosWorker(root = repoRoot()): Promise<WorkerBundle> {
  const file = join(root, ".tmp", "fleet", `chaos-worker-${process.pid}-${Date.now().toString(36)}.mjs`);
  await build({
    entryPoints: [join(root, "test", "fleet", "worker-main.ts")],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  return { file, remove: () => rm(file, { force: true }) };
}

/** Every chaos worker process still running in this process, killed on exit whatever ends the run. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous on purpose: "exit" handlers cannot wait. The stdin guard covers a parent killed outright.
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ChaosWorker {
  readonly name: string;
  /** The worker's stdout lines, in the order it wrote them. */
  readonly lines: WorkerLine[] = [];
  readonly startedAt = Date.now();
  /** When the run SIGKILLed or SIGTERMed it. */
  stoppedAt: number | undefined;
  exitStatus: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;
  #child: ChildProcess;
  #stderr = "";

  constructor(bundle: string, guard: string, config: WorkerConfig, cwd: string) {
    installExitHook();
    this.name = config.name;
    this.#child = spawn(process.execPath, ["--require", guard, "--enable-source-maps", bundle, JSON.stringify(config)], {
      cwd,
      stdio: ["pipe", "pipe", "pipe"],
    });
    live.add(this.#child);
    this.#child.stdin!.on("error", () => undefined); // the child is gone; nothing to write anyway
    this.#child.stderr!.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-4000);
    });
    this.exited = new Promise((resolve) => {
      this.#child.once("exit", (code, signal) => {
        live.delete(this.#child);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
    createInterface({ input: this.#child.stdout! }).on("line", (text) => {
      try {
        this.lines.push(JSON.parse(text) as WorkerLine);
      } catch {
        // A partial last line cannot happen (pipe writes under 4 KiB are atomic); anything else is not ours.
      }
    });
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  get ready(): boolean {
    return this.lines.some((line) => line.kind === "ready");
  }

  /** Dies at once: no release, no final checkpoint, no more heartbeats. */
  kill(): void {
    this.stoppedAt ??= Date.now();
    if (this.running) this.#child.kill("SIGKILL");
  }

  /** Graceful close (final checkpoints, releases); SIGKILL if it has not exited within `graceMs`. */
  async terminate(graceMs: number): Promise<{ status: ExitStatus; closed: boolean }> {
    this.stoppedAt ??= Date.now();
    if (this.running) this.#child.kill("SIGTERM");
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return { status, closed: this.lines.some((line) => line.kind === "closed") };
  }

  /** Its own failure line and stderr tail, for the report. */
  output(): string {
    const failed = this.lines.find((line) => line.kind === "failed");
    return [failed?.kind === "failed" ? failed.message : undefined, this.#stderr.trim()].filter(Boolean).join("\n");
  }
}
