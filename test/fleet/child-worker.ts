/**
 * Fleet workers as separate OS processes: bundle test/fleet/worker-main.ts once with esbuild (as
 * scripts/run-ts.mjs does; Node 20 cannot run TypeScript), spawn it with a JSON config, and turn its
 * JSON lines into the same timeline of deliveries and events the in-process workers keep.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Delivery, TimedEvent } from "./checks.ts";
import type { WorkerConfig, WorkerLine } from "./worker-main.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Bundle the worker into .tmp/ (inside the repository, so its bare imports resolve from node_modules). */
export async function bundleWorker(): Promise<{ file: string; remove(): Promise<void> }> {
  const file = `${root}.tmp/fleet/worker-${process.pid}-${Date.now().toString(36)}.mjs`;
  await build({
    entryPoints: [fileURLToPath(new URL("./worker-main.ts", import.meta.url))],
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

export class ChildWorker {
  readonly name: string;
  readonly child: ChildProcess;
  readonly deliveries: Delivery[] = [];
  readonly events: TimedEvent[] = [];
  /** When the test stopped it (SIGKILL or SIGTERM): the end of any lease it still held. */
  stoppedAt: number | undefined;
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderr = "";
  #failure: string | undefined;
  #closed = false;

  constructor(bundle: string, config: WorkerConfig) {
    this.name = config.name;
    this.child = spawn(process.execPath, ["--enable-source-maps", bundle, JSON.stringify(config)], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stderr!.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-4000);
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
    let markReady: () => void;
    let failReady: (error: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.ready.catch(() => undefined); // a worker that dies early fails whoever awaits `ready`, nobody else
    void this.exited.then(({ code, signal }) => failReady(new Error(`${this.name} exited before it was ready (${signal ?? code}): ${this.output()}`)));
    const lines = createInterface({ input: this.child.stdout! });
    lines.on("line", (text) => {
      const line = JSON.parse(text) as WorkerLine;
      switch (line.kind) {
        case "ready":
          markReady();
          break;
        case "record":
          this.deliveries.push({ worker: this.name, id: line.id, shardId: line.shardId, sequenceNumber: line.sequenceNumber, at: line.at });
          break;
        case "event":
          this.events.push({ worker: this.name, at: line.at, event: line.event });
          break;
        case "closed":
          this.#closed = true;
          break;
        case "failed":
          this.#failure = line.message;
          break;
      }
    });
  }

  /** Shards it reads now, by its lease events. */
  get shards(): string[] {
    const held = new Set<string>();
    for (const { event } of this.events) {
      if (event.type === "leaseAcquired") held.add(event.shardId);
      else if (event.type === "leaseLost" || event.type === "leaseReleased" || event.type === "shardEnded") held.delete(event.shardId);
    }
    return this.stoppedAt === undefined ? [...held].sort() : [];
  }

  /** The process dies at once: no release, no final checkpoint, no more heartbeats. */
  kill(): number {
    this.stoppedAt = Date.now();
    this.child.kill("SIGKILL");
    return this.stoppedAt;
  }

  /** Graceful: the worker closes its consumer (final checkpoints, releases) and exits 0. */
  async terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; closed: boolean }> {
    this.stoppedAt ??= Date.now();
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGTERM");
    const status = await this.exited;
    return { ...status, closed: this.#closed };
  }

  /** The worker's own failure line and stderr tail, for assertion messages. */
  output(): string {
    return [this.#failure, this.#stderr.trim()].filter(Boolean).join("\n");
  }
}
