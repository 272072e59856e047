import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { startLocalServers } from "./local-servers.ts";
import { ensureServerTools, INSTALL_LOG, INSTALL_TIMEOUT_MS, runLogged } from "./server-tools.ts";

/**
 * First the system programs some tests need (redis-server, java): installed with apt when missing and
 * running as root, else those tests fail naming the command. Then kinesalite + dynalite, in process,
 * on free loopback ports, for every test file.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tools = await ensureServerTools({
    path: process.env["PATH"] ?? "",
    uid: process.getuid?.(),
    run: runLogged,
    logFile: fileURLToPath(new URL(`../../${INSTALL_LOG}`, import.meta.url)),
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  for (const status of tools) {
    if (status.state === "installed") console.log(`[setup] installed ${status.tool.binary} (${status.file}) with apt-get`);
    if (status.state === "missing") {
      console.warn(`[setup] ${status.tool.binary} is missing (${status.reason}); tests needing it will fail. Run: ${status.command}`);
    }
  }
  const servers = await startLocalServers();
  project.provide("kinesisEndpoint", servers.kinesisEndpoint);
  project.provide("dynamodbEndpoint", servers.dynamodbEndpoint);
  return servers.close;
}

declare module "vitest" {
  export interface ProvidedContext {
    kinesisEndpoint: string;
    dynamodbEndpoint: string;
  }
}
