// The long chaos run: `npm run chaos [-- <seconds> [<seed>]]`, or CHAOS_SECONDS / CHAOS_SEED in the
// environment (defaults: 600 s, a seed from the clock, printed so a failing run can be replayed).
// Same runner and checks as test/fleet/chaos.test.ts; exits 1 unless nothing was lost and every check held.
import { runChaos, summaryLine } from "../test/fleet/chaos-run.ts";

function numberArg(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    console.error(`${name} must be a positive number, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return parsed;
}

const seconds = numberArg(process.argv[2], "duration (seconds)") ?? numberArg(process.env["CHAOS_SECONDS"], "CHAOS_SECONDS") ?? 600;
const seed = numberArg(process.argv[3], "seed") ?? numberArg(process.env["CHAOS_SEED"], "CHAOS_SEED") ?? Date.now() % 0x7fffffff;
const started = Date.now();
const log = (message: string): void => console.log(`[chaos +${((Date.now() - started) / 1000).toFixed(1)} s] ${message}`);
log(`seed ${seed}, ${seconds} s of chaos (replay with: npm run chaos -- ${seconds} ${seed})`);
// Ctrl-C: exit now; the exit hook SIGKILLs the worker processes (and each dies with us anyway).
process.once("SIGINT", () => process.exit(130));

const report = await runChaos({ seed, durationMs: seconds * 1000, drainTimeoutMs: 120_000, log });
for (const violation of report.violations) console.log(`  violation: ${violation}`);
for (const unclean of report.uncleanCloses) console.log(`  note: ${unclean} did not close within the grace period of SIGTERM`);
console.log(summaryLine(report));
process.exitCode = report.violations.length === 0 && report.lost === 0 ? 0 : 1;
