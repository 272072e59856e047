import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Runs before every test file (vitest `setupFiles`): no AWS_* variable of the developer's shell or CI
 * reaches a test, the EC2 metadata service is off (nothing may wait on 169.254.169.254), and the
 * shared files point at a directory that does not exist, so ~/.aws never changes a result.
 * Tests that need any of these set them in an injected environment (or restore what they change).
 */
for (const name of Object.keys(process.env)) if (name.startsWith("AWS_")) delete process.env[name];
process.env["AWS_EC2_METADATA_DISABLED"] = "true";
const nowhere = join(tmpdir(), "async-kinesis-tests-no-aws-dir");
process.env["AWS_SHARED_CREDENTIALS_FILE"] = join(nowhere, "credentials");
process.env["AWS_CONFIG_FILE"] = join(nowhere, "config");
