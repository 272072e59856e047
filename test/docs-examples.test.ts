import { mkdir, rm, writeFile } from "node:fs/promises";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { fencedBlocks } from "./support/markdown.ts";

/**
 * Every ```ts block in docs/*.md compiles against the real API, with the repository's strict
 * settings: `async-kinesis` and its subpaths (`/aws`, `/testing`, `/admin`) resolve to src/, other
 * packages (redis, vitest, ...) to node_modules, and Node's types are in scope. Each block is a module
 * of its own, as a reader would paste it. Type-check only: README's blocks also run
 * (test/readme-examples.test.ts); these are checked so a renamed option or method cannot leave a guide
 * describing an API that no longer exists.
 *
 * A block that cannot compile on its own says why on the line before it:
 * `<!-- typecheck: skip — <reason> -->`. The names below are the few a guide may use without defining
 * them (the reader's own handler and environment).
 */
const ROOT = resolve(import.meta.dirname, "..");
const SCRATCH = join(ROOT, ".tmp", `docs-examples-${process.pid}`);

const PRELUDE = `
/** The reader's record handler. */
declare function handle(item: unknown): Promise<void>;
`;

interface DocBlock {
  page: string;
  line: number;
  file: string;
}

/** The reason in a `typecheck: skip — <reason>` marker; undefined for any other marker; throws when the reason is missing. */
function skipReason(marker: string | undefined, where: string): string | undefined {
  const skip = /^typecheck:\s*skip\b\s*[—–:-]?\s*(.*)$/.exec(marker ?? "");
  if (skip === null) return undefined;
  const reason = skip[1]!.trim();
  if (reason === "") throw new Error(`${where}: a skipped block must say why ("typecheck: skip — <reason>")`);
  return reason;
}

/** The ```ts blocks of every docs page, minus the ones marked `typecheck: skip — reason`; throws on a skip without a reason. */
function docBlocks(): { blocks: DocBlock[]; sources: Map<string, string> } {
  const blocks: DocBlock[] = [];
  const sources = new Map<string, string>();
  const pages = readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).sort();
  for (const name of pages) {
    const page = `docs/${name}`;
    for (const block of fencedBlocks(readFileSync(join(ROOT, page), "utf8"))) {
      if (block.lang !== "ts" && block.lang !== "typescript") continue;
      if (skipReason(block.marker, `${page}:${block.line}`) !== undefined) continue;
      const file = join(SCRATCH, `${name.replace(/\.md$/, "")}-${block.line}.ts`);
      // `export {}` keeps a block without imports a module of its own (its names do not clash with another block's).
      sources.set(file, `${block.code}\nexport {};\n`);
      blocks.push({ page, line: block.line, file });
    }
  }
  return { blocks, sources };
}

/** deno.json's `exports`: each public subpath (`.`, `./aws`, ...) with its source entry. */
function denoExports(): Record<string, string> {
  return (JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as { exports: Record<string, string> }).exports;
}

/** The repository's compiler options (tsconfig.json), with the package's entry points mapped to src/ and Node's types. */
function compilerOptions(): ts.CompilerOptions {
  const path = join(ROOT, "tsconfig.json");
  const read = ts.readConfigFile(path, (file) => readFileSync(file, "utf8"));
  if (read.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT);
  return {
    ...parsed.options,
    types: ["node"],
    noEmit: true,
    // Every public subpath, as deno.json maps it to its source: `async-kinesis/admin` → src/admin/index.ts.
    paths: Object.fromEntries(Object.entries(denoExports()).map(([subpath, file]) => [subpath.replace(/^\./, "async-kinesis"), [join(ROOT, file)]])),
  };
}

afterAll(() => rm(SCRATCH, { recursive: true, force: true }));

describe("docs/*.md code", () => {
  it("every TypeScript block in docs/ compiles against the real API (strict, as a module of its own)", async () => {
    const { blocks, sources } = docBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(10);
    await mkdir(SCRATCH, { recursive: true });
    const prelude = join(SCRATCH, "prelude.d.ts");
    await writeFile(prelude, PRELUDE);
    for (const [file, code] of sources) await writeFile(file, code);
    // A block known to be wrong, compiled with the others: proves the check would catch a misspelled option.
    const sentinel = join(SCRATCH, "sentinel.ts");
    await writeFile(sentinel, `import { Consumer } from "async-kinesis";\nnew Consumer({ streamName: "s", sesionTimeout: 1 });\nexport {};\n`);
    const program = ts.createProgram([prelude, sentinel, ...sources.keys()], compilerOptions());
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const text = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, "\n");
    const isSentinel = (d: ts.Diagnostic) => d.file !== undefined && resolve(d.file.fileName) === sentinel;
    expect(diagnostics.filter(isSentinel).map(text).join("\n")).toContain("sesionTimeout");
    const byFile = new Map(blocks.map((block) => [block.file, block]));
    // Errors inside src/ are tsc's to report (npm test runs it); this test owns the blocks, and global errors.
    const inSrc = (d: ts.Diagnostic) => d.file !== undefined && resolve(d.file.fileName).startsWith(join(ROOT, "src") + "/");
    const problems = diagnostics.filter((d) => !isSentinel(d) && !inSrc(d)).map((diagnostic) => {
      const file = diagnostic.file?.fileName;
      const block = file === undefined ? undefined : byFile.get(resolve(file));
      if (block === undefined || diagnostic.start === undefined) return `${file === undefined ? "" : relative(ROOT, file) + ": "}${text(diagnostic)}`;
      const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
      // The block's first line is the line after its fence.
      return `${block.page}:${block.line + 1 + line}: ${text(diagnostic)}`;
    });
    expect(problems).toEqual([]);
  }, 60_000);

  it("a block is skipped only with a reason, given on the line before it", () => {
    expect(skipReason("typecheck: skip — needs Deno's types", "x.md:1")).toBe("needs Deno's types");
    expect(skipReason("example: consume", "x.md:1")).toBeUndefined();
    expect(skipReason(undefined, "x.md:1")).toBeUndefined();
    expect(() => skipReason("typecheck: skip", "x.md:7")).toThrow("x.md:7: a skipped block must say why");
  });
});
