import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { githubSlug, markdownAnchors, markdownLinks } from "./support/markdown.ts";

/**
 * The documentation holds together: the API reference builds from the TSDoc with TypeDoc's
 * validation on and not one warning (`npm run docs:api`, typedoc.json), and every relative link and
 * `#anchor` in README.md and docs/*.md leads to a file and heading that exist. No network.
 */
const ROOT = resolve(import.meta.dirname, "..");

/** README.md and every page under docs/, as paths relative to the repository. */
function documentationPages(): string[] {
  const docs = readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`);
  return ["README.md", ...docs];
}

/** `node typedoc` with the repository's typedoc.json, writing to `out`; resolves with its exit code and output. */
function runTypeDoc(out: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, "node_modules", "typedoc", "bin", "typedoc"), "--out", out], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      timeout: 60_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.once("error", fail);
    child.once("close", (code) => done({ code, output }));
  });
}

/** Every broken relative link of `page`, as `page:line → target (why)`. */
function brokenLinks(page: string, anchorsOf: (file: string) => Set<string>): string[] {
  const broken: string[] = [];
  const text = readFileSync(join(ROOT, page), "utf8");
  for (const { target, line } of markdownLinks(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...: not checked offline
    const hash = target.indexOf("#");
    const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const file = path === "" ? join(ROOT, page) : resolve(ROOT, dirname(page), path);
    const where = `${page}:${line} → ${target}`;
    if (!file.startsWith(ROOT + "/") && file !== ROOT) {
      broken.push(`${where} (outside the repository)`);
      continue;
    }
    if (!existsSync(file)) {
      broken.push(`${where} (no such file: ${relative(ROOT, file)})`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(file).isDirectory() || !file.endsWith(".md")) {
      broken.push(`${where} (an anchor into a file that is not Markdown)`);
      continue;
    }
    if (!anchorsOf(file).has(anchor)) broken.push(`${where} (no heading "#${anchor}" in ${relative(ROOT, file)})`);
  }
  return broken;
}

describe("documentation", () => {
  it("the API reference builds from the TSDoc with TypeDoc's validation on and no warning or error", async () => {
    const out = await mkdtemp(join(tmpdir(), "async-kinesis-api-"));
    try {
      const { code, output } = await runTypeDoc(out);
      const problems = output.split("\n").filter((line) => /\[(warning|error)\]/.test(line));
      expect(problems, output).toEqual([]);
      expect(code, output).toBe(0);
      // The reference covers the three entry points and renders the guides under docs/ as its documents.
      expect(existsSync(join(out, "classes", "index.Consumer.html")), output).toBe(true);
      expect(existsSync(join(out, "classes", "aws.KinesisClient.html")), output).toBe(true);
      expect(existsSync(join(out, "functions", "testing.createFakeAws.html")), output).toBe(true);
      expect(existsSync(join(out, "documents", "consumer.html")), output).toBe(true);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);

  it("typedoc.json documents every entry point the package exports, validates links and exports, and treats every warning as an error", () => {
    // The file allows comments (TypeDoc reads it as JSONC): drop whole-line comments before parsing.
    const text = readFileSync(join(ROOT, "typedoc.json"), "utf8").replace(/^\s*\/\/.*$/gm, "");
    const options = JSON.parse(text) as { validation?: Record<string, boolean>; treatWarningsAsErrors?: boolean; entryPoints?: string[] };
    expect(options.validation).toMatchObject({ invalidLink: true, notExported: true });
    expect(options.treatWarningsAsErrors).toBe(true);
    // deno.json maps each public subpath to its source entry (package.json to its build of the same file).
    const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as { exports: Record<string, string> };
    const entries = Object.values(deno.exports).map((path) => path.replace(/^\.\//, ""));
    expect(entries).toContain("src/index.ts");
    expect([...(options.entryPoints ?? [])].sort()).toEqual(entries.sort());
  });

  it("every relative link and #anchor in README.md and docs/*.md resolves to a file and heading that exist", () => {
    const cache = new Map<string, Set<string>>();
    const anchorsOf = (file: string): Set<string> => {
      let anchors = cache.get(file);
      if (anchors === undefined) cache.set(file, anchors = markdownAnchors(readFileSync(file, "utf8")));
      return anchors;
    };
    const pages = documentationPages();
    expect(pages.length).toBeGreaterThan(5);
    expect(pages.flatMap((page) => brokenLinks(page, anchorsOf))).toEqual([]);
  });

  it("the anchors are GitHub's: punctuation dropped, each space a hyphen, repeats numbered", () => {
    expect(githubSlug("Monitoring & Debugging")).toBe("monitoring--debugging");
    expect(githubSlug("Leases native to the platform: Durable Objects and Deno KV")).toBe("leases-native-to-the-platform-durable-objects-and-deno-kv");
    expect(githubSlug("`autoCheckpoint: false` and `manualCheckpoint()`")).toBe("autocheckpoint-false-and-manualcheckpoint");
    expect(githubSlug("KPL sub-records outside the shard's hash range")).toBe("kpl-sub-records-outside-the-shards-hash-range");
    expect(githubSlug("Migration from [Redis](redis.md)")).toBe("migration-from-redis");
    expect([...markdownAnchors('# Errors\n\n```\n# not a heading\n```\n## Errors\n<a name="x-y"></a>\n')]).toEqual(["errors", "errors-1", "x-y"]);
  });

  it("a link into a missing file or heading is reported with its page and line", () => {
    const links = markdownLinks("see [a](missing.md) and `[b](code.md)`\n\n```\n[c](fenced.md)\n```\n[d]: other.md#part\n![e](img.png)");
    expect(links).toEqual([
      { target: "missing.md", line: 1 },
      { target: "other.md#part", line: 6 },
      { target: "img.png", line: 7 },
    ]);
  });
});
