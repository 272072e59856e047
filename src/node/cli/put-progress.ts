import type { ProducerStats } from "../index.ts";
import type { Output } from "./command.ts";

/** How often the progress line is redrawn. */
const REDRAW_MS = 500;

function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KiB`;
  return `${(count / (1024 * 1024)).toFixed(1)} MiB`;
}

/** `12,345 records put (4,100/s), 1.2 MiB, 0 failed`: the line `put` shows and ends with. */
export function progressText(stats: ProducerStats, failed: number, elapsedMs: number): string {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const rate = Math.round(stats.recordsPut / seconds);
  return `${stats.recordsPut.toLocaleString("en-US")} records put (${rate.toLocaleString("en-US")}/s), ${bytes(stats.bytesPut)}, ${failed} failed`;
}

/**
 * The progress line on a terminal's stderr, redrawn in place (`\r` and erase-line) every half
 * second; nothing at all when stderr is not a terminal (logs get only the final summary).
 */
export class PutProgress {
  readonly #stderr: Output;
  readonly #stats: () => { stats: ProducerStats; failed: number };
  readonly #startedAt = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(stderr: Output, stats: () => { stats: ProducerStats; failed: number }) {
    this.#stderr = stderr;
    this.#stats = stats;
    if (stderr.isTTY) this.#timer = setInterval(() => void this.#draw("\r\x1b[K"), REDRAW_MS);
  }

  get elapsedMs(): number {
    return Date.now() - this.#startedAt;
  }

  #draw(prefix: string): Promise<void> {
    const { stats, failed } = this.#stats();
    return this.#stderr.write(`${prefix}put: ${progressText(stats, failed, this.elapsedMs)}`);
  }

  /** Stop redrawing and end the line, so what follows starts on a line of its own. */
  async stop(): Promise<void> {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#draw("\r\x1b[K");
    await this.#stderr.write("\n");
  }
}
