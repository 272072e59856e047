import type { TestProject } from "vitest/node";
import { startLocalServers } from "./local-servers.ts";

/** kinesalite + dynalite, in process, on free loopback ports, for every test file. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
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
