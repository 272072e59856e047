import { inject } from "vitest";
import { runGroupIndexSuite } from "./group-index-suite.ts";

/** The group index on dynalite: it creates tables with a GSI and queries it, but UpdateTable builds no new index. */
runGroupIndexSuite("dynalite", () => inject("dynamodbEndpoint"), false);
