import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    setupFiles: ["test/support/isolate-aws-env.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Files share the in-process servers but use their own streams and tables; two workers fit 2 cores.
    pool: "forks",
    maxWorkers: 2,
  },
});
