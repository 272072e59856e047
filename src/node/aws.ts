/**
 * The Node build of `async-kinesis/aws` (`node` condition, built to dist/node/aws.js): the signed
 * clients of src/aws/index.ts with the same Node-native defaults as the Node build of the root entry
 * (node:http transport, Buffer base64; see src/node/index.ts). A `fetch` given in the options still wins.
 */
import { useNodeDefaults } from "./defaults.ts";

useNodeDefaults();

export * from "../aws/index.ts";
