/**
 * Just enough Markdown for the documentation tests: fenced code blocks (with the HTML comment on the
 * line before each), links outside code, and the anchors GitHub gives headings.
 */

/** A fenced code block: its info string's language, its text, and where it starts (1-based line of the fence). */
export interface FencedBlock {
  lang: string;
  code: string;
  line: number;
  /** The `<!-- ... -->` comment on the line before the fence, without its delimiters, if any. */
  marker: string | undefined;
}

/** A link `[text](target)` or `[label]: target` outside code, with its 1-based line. */
export interface MarkdownLink {
  target: string;
  line: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w-]*)/;

/** The lines of `markdown`, each with whether it is inside (or is the fence of) a fenced block. */
function linesWithFences(markdown: string): { text: string; inFence: boolean }[] {
  const out: { text: string; inFence: boolean }[] = [];
  let open: string | undefined;
  for (const text of markdown.split("\n")) {
    const fence = FENCE.exec(text);
    if (open === undefined && fence !== null) {
      open = fence[1]!;
      out.push({ text, inFence: true });
    } else if (open !== undefined) {
      const closes = fence !== null && fence[1]!.startsWith(open[0]!) && fence[1]!.length >= open.length && fence[2] === "";
      out.push({ text, inFence: true });
      if (closes) open = undefined;
    } else {
      out.push({ text, inFence: false });
    }
  }
  return out;
}

/** Every fenced code block of `markdown`. An unclosed fence is an error (it would swallow the rest of the page). */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split("\n");
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = FENCE.exec(lines[i]!);
    if (fence === null) continue;
    const ticks = fence[1]!;
    const end = lines.findIndex((text, j) => j > i && text.trimStart().startsWith(ticks) && text.trim().replace(/^[`~]+/, "") === "");
    if (end < 0) throw new Error(`the code block at line ${i + 1} is never closed`);
    const marker = /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(lines[i - 1] ?? "")?.[1];
    blocks.push({ lang: fence[2] ?? "", code: lines.slice(i + 1, end).join("\n") + "\n", line: i + 1, marker });
    i = end;
  }
  return blocks;
}

/** Inline code spans removed, so a link shown as code is not taken for a link. */
function withoutCodeSpans(line: string): string {
  return line.replace(/(`+)(?:(?!\1).)+?\1/g, (span) => " ".repeat(span.length));
}

/** Every link target outside code blocks and code spans: inline links, images, and reference definitions. */
export function markdownLinks(markdown: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  linesWithFences(markdown).forEach(({ text, inFence }, index) => {
    if (inFence) return;
    const line = withoutCodeSpans(text);
    // [text](target "title") — the text may hold brackets one level deep, e.g. [`x`](y) or [[1]](y).
    for (const match of line.matchAll(/\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ target: match[1]!, line: index + 1 });
    }
    const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/.exec(line);
    if (definition !== null) links.push({ target: definition[1]!, line: index + 1 });
  });
  return links;
}

/** A heading's text as GitHub renders it before making its anchor: links reduced to their text, emphasis and code marks dropped. */
function renderedHeadingText(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/[`*]/g, "")
    .replace(/(^|\s)_+|_+($|\s)/g, "$1$2")
    .trim();
}

/**
 * GitHub's anchor for a heading text: lower case, punctuation dropped (letters, digits, marks, `_`, `-`
 * and spaces stay), each space a hyphen. `Monitoring & Debugging` → `monitoring--debugging`.
 */
export function githubSlug(heading: string): string {
  return renderedHeadingText(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a page has: its headings' slugs (repeats numbered `-1`, `-2`, as GitHub does) and explicit `id` / `name` attributes. */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const counts = new Map<string, number>();
  for (const { text, inFence } of linesWithFences(markdown)) {
    if (inFence) continue;
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (heading !== null) {
      const slug = githubSlug(heading[1]!);
      const seen = counts.get(slug) ?? 0;
      counts.set(slug, seen + 1);
      anchors.add(seen === 0 ? slug : `${slug}-${seen}`);
    }
    for (const match of text.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}
