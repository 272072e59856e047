import { readdirSync, readFileSync } from "node:fs";
import { join, posix, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The import graph of src/ runs one way: a module imports only from its own layer or the layers
 * below it. Lowest first:
 *
 *   0 errors.ts      typed errors, imported by everything
 *   1 internal/      runtime helpers (clock, abort, base64, backoff, env)
 *   2 config/        option validation
 *   3 aws/           signed JSON client, credentials, endpoints
 *   4 kinesis/, dynamodb/   the two service clients (neither imports the other)
 *   5 aggregation/   KPL framing, MD5, protobuf
 *   6 processors/    payload formats (use aggregation)
 *   7 checkpointers/ leases and checkpoints
 *   8 consumer/, producer/, admin/ (checkpoint administration), metrics/ (renders their stats)
 *   9 entries: index.ts, aws/index.ts, node/, testing/   what users import
 *
 * Files in the same layer may import each other (kinesis/ and dynamodb/ share one but must not).
 */
const ENTRY_FILES = new Set(["index.ts", "aws/index.ts"]);
const LAYERS: ReadonlyArray<readonly string[]> = [
  ["errors.ts"],
  ["internal"],
  ["config"],
  ["aws"],
  ["kinesis", "dynamodb"],
  ["aggregation"],
  ["processors"],
  ["checkpointers"],
  ["consumer", "producer", "admin", "metrics"],
  ["node", "testing", "(entry)"],
];

const SRC = join(import.meta.dirname, "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [relative(SRC, path).split("\\").join("/")] : [];
  });
}

/** The area a src/-relative file belongs to: its top folder, its own name for top-level files, or `(entry)`. */
function areaOf(file: string): string {
  if (ENTRY_FILES.has(file)) return "(entry)";
  return file.split("/")[0]!;
}

function layerOf(file: string): number {
  const area = areaOf(file);
  const layer = LAYERS.findIndex((names) => names.includes(area));
  if (layer === -1) throw new Error(`${file}: area "${area}" has no layer; add it to LAYERS in test/import-graph.test.ts`);
  return layer;
}

/** Relative specifiers in `import … from "…"`, `export … from "…"` and `import("…")`. */
export function relativeImports(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.{1,2}\/[^"']+)["']/g)) found.push(match[1]!);
  return found;
}

export function upwardImports(files: ReadonlyMap<string, string>): string[] {
  const violations: string[] = [];
  for (const [file, source] of files) {
    for (const specifier of relativeImports(source)) {
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      const sameServiceLayer = layerOf(file) === 4 && areaOf(file) !== areaOf(target) && layerOf(target) === 4;
      if (layerOf(target) > layerOf(file) || sameServiceLayer) {
        violations.push(`src/${file} imports "${specifier}" (${areaOf(target)}, layer ${layerOf(target)}) from layer ${layerOf(file)} (${areaOf(file)})`);
      }
    }
  }
  return violations;
}

describe("import graph", () => {
  it("no module in src/ imports from a layer above it", () => {
    const files = new Map(sourceFiles(SRC).map((file) => [file, readFileSync(join(SRC, file), "utf8")]));
    expect(files.size).toBeGreaterThan(50);
    expect(upwardImports(files)).toEqual([]);
  });

  it("an upward import is reported with the file and the import", () => {
    const files = new Map([
      ["aggregation/kpl.ts", 'import type { Aggregator } from "../processors/types.ts";\n'],
      ["consumer/shard-plan.ts", 'import type { Shard } from "../kinesis/types.ts";\n'],
      ["kinesis/client.ts", 'export { marshal } from "../dynamodb/marshal.ts";\n'],
    ]);
    expect(upwardImports(files)).toEqual([
      'src/aggregation/kpl.ts imports "../processors/types.ts" (processors, layer 6) from layer 5 (aggregation)',
      'src/kinesis/client.ts imports "../dynamodb/marshal.ts" (dynamodb, layer 4) from layer 4 (kinesis)',
    ]);
  });

  it("finds static, re-export and dynamic relative imports, not package ones", () => {
    const source = [
      'import * as v from "valibot";',
      'import { a } from "./a.ts";',
      'export type { B } from "../b.ts";',
      'const c = await import("./c.ts");',
      "import {\n  d,\n} from './d.ts';",
    ].join("\n");
    expect(relativeImports(source)).toEqual(["./a.ts", "../b.ts", "./c.ts", "./d.ts"]);
  });
});
