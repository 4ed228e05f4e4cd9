/**
 * Suggest the known name closest to a mistyped one.
 *
 * @example
 * closest("seed_example", ["seed_examples", "data"]) // "seed_examples"
 */
export function closest(input: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(2, Math.floor(Math.max(input.length, best.length) / 3));
  return bestDistance <= limit || best.includes(input) || input.includes(best) ? best : undefined;
}

/**
 * The known name that `input` abbreviates (the shortest one it begins), or else the closest one.
 * Prefixes matter for long flags: `--num-outputs` is 12 edits from `--num-outputs-to-generate`.
 *
 * @example
 * completionOrClosest("num-outputs", ["num-outputs-to-generate", "output-dir"]) // "num-outputs-to-generate"
 */
export function completionOrClosest(input: string, known: Iterable<string>): string | undefined {
  const names = [...known];
  const lower = input.toLowerCase();
  const completions =
    lower.length >= 2
      ? names.filter((k) => k.length > lower.length && k.toLowerCase().startsWith(lower))
      : [];
  completions.sort((a, b) => a.length - b.length || a.localeCompare(b));
  return completions[0] ?? closest(input, names);
}

/**
 * "did you mean 'x'? known: a, b, c" — the tail of an unknown-name message.
 *
 * @example
 * throw new ConfigError(`unknown column '${name}'`, { hint: suggestion(name, columnNames) });
 */
export function suggestion(input: string, known: readonly string[], listLimit = 40): string {
  const near = closest(input, known);
  const sorted = [...known].sort();
  const list =
    sorted.length > listLimit
      ? `${sorted.slice(0, listLimit).join(", ")}, ... (${sorted.length} in all)`
      : sorted.join(", ");
  return `${near ? `did you mean '${near}'? ` : ""}known: ${list || "(none)"}`;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[rows - 1]![cols - 1]!;
}
