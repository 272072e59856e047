import type { Section } from "./table.ts";

/** What every measurement gets from the driver. */
export interface BenchContext {
  /** Repository root (absolute). */
  root: string;
  /** Scratch directory inside the repository (.tmp/bench), so node_modules resolve from files written there. */
  workDir: string;
  /** `--quick`: fewer repetitions, for checking the bench itself; numbers are noisier. */
  quick: boolean;
  /** Progress line on stderr (the tables go to stdout). */
  log(message: string): void;
}

/** One file under bench/ per measurement; the driver lists them in run.ts. */
export interface Measurement {
  /** Used by `--only=<id>,<id>`. */
  id: string;
  run(context: BenchContext): Promise<Section[]>;
}

/** Obviously fake credentials: nothing in the bench talks to AWS. */
export const benchCredentials = { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret-not-real" };

/** Collect garbage if the driver was started with --expose-gc (the launcher does this). */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
