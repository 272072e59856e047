/** One parsed INI file: section name (as written between the brackets, trimmed) → key → value. */
export type IniSections = Map<string, Map<string, string>>;

/**
 * Parse an AWS shared config/credentials file. Comments start with `#` or `;` at the start of a line
 * or after whitespace; keys are `name = value`; an empty value opens a nested block whose indented
 * lines are stored as `parent.child` (the SDKs' `s3 =` style sub-sections), so they never shadow a
 * top-level key. Lines outside any section are ignored, as the SDKs do.
 */
export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, string> | undefined;
  let nested: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.split(/(?:^|\s)[#;]/)[0]!.trim();
    if (line === "") continue;
    if (line.startsWith("[") && line.endsWith("]")) {
      const name = line.slice(1, -1).trim();
      current = sections.get(name) ?? new Map<string, string>();
      sections.set(name, current);
      nested = undefined;
      continue;
    }
    const equals = line.indexOf("=");
    if (current === undefined || equals <= 0) continue;
    const key = line.slice(0, equals).trim().toLowerCase();
    const value = line.slice(equals + 1).trim();
    const indented = /^\s/.test(rawLine);
    if (!indented) nested = undefined;
    if (nested !== undefined) {
      current.set(`${nested}.${key}`, value);
    } else if (value === "") {
      nested = key;
    } else {
      current.set(key, value);
    }
  }
  return sections;
}
