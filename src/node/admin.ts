/**
 * The Node build of `async-kinesis/admin` (`node` condition, built to dist/node/admin.js): the checkpoint
 * administration functions of src/admin/index.ts, in the same build (and module copies) as the Node
 * root entry, so checkpointers and clients made with `async-kinesis` on Node can be handed to them.
 */
import { useNodeDefaults } from "./defaults.ts";

useNodeDefaults();

export * from "../admin/index.ts";
