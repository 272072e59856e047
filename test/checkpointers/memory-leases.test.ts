import { memoryLeaseDriver } from "../support/lease-drivers/memory.ts";
import { runLeaseSuite } from "./lease-suite.ts";

/** The lease behaviour suite on the memory store: MemoryLeaseBackend under the shared session, one map of rows for every worker. */
runLeaseSuite("MemoryLeaseBackend", memoryLeaseDriver());
