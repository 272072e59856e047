/**
 * The known option name a mistyped one most likely meant, for "did you mean" hints. Names are
 * compared without case, `_` and `-`, so the Python library's snake_case (`session_timeout`,
 * `endpoint_url`) finds its camelCase counterpart here.
 */
export function closestName(unknown: string, known: readonly string[]): string | undefined {
  const wanted = normalize(unknown);
  // Allow about one edit per three characters: close enough to be a typo, far enough to not guess wildly.
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(wanted, normalize(name));
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, "");
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two adjacent
 * characters (the commonest typo) each cost one.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: distance between the first i characters of a and the first j of b.
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]![j]!;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const substitution = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1);
      rows[i]![j] = distance;
    }
  }
  return at(a.length, b.length);
}
