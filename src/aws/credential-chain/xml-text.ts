/**
 * The text of the first `<tag>...</tag>` in `xml` (inside `within` when given), entities decoded. STS
 * answers are small and flat where we read them, so a full XML parser would only add weight.
 */
export function xmlText(xml: string, tag: string, within?: string): string | undefined {
  let scope = xml;
  if (within !== undefined) {
    const outer = new RegExp(`<${within}(?:\\s[^>]*)?>([\\s\\S]*?)</${within}>`).exec(xml);
    if (outer === null) return undefined;
    scope = outer[1]!;
  }
  const match = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(scope);
  return match === null ? undefined : decodeEntities(match[1]!.trim());
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, body: string) => {
    if (body.startsWith("#x")) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith("#")) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    return NAMED[body] ?? whole;
  });
}
