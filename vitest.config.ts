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
    // The client tests run twice: on the runtime's fetch (the Web build's transport) and, as the
    // "node-http" project, on the Node build's node:http transport (test/support/clients.ts testTransport).
    projects: [
      { extends: true, test: { name: "default" } },
      {
        // Not `extends: true`: that would add the root's include (every test file) to this list.
        test: {
          name: "node-http",
          globalSetup: ["test/support/global-setup.ts"],
          setupFiles: ["test/support/isolate-aws-env.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: "forks",
          include: [
            "test/kinesis-client.test.ts",
            "test/dynamodb-client.test.ts",
            "test/fault-proxy.test.ts",
            "test/oracle-sdk-kinesis.test.ts",
            "test/oracle-sdk-dynamodb.test.ts",
          ],
          env: { ASYNC_KINESIS_TEST_TRANSPORT: "node-http" },
        },
      },
    ],
  },
});
