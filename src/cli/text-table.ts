/** How a table is fitted into a width. */
export interface FitOptions {
  /** Most characters a line may have. */
  width: number;
  /** The column that gives up room first, its cells cut with "…" (default: the last). */
  flex?: number;
  /** Fewest characters the flexible column keeps before `droppable` columns are left out. */
  minFlex?: number;
  /** Columns left out, in this order, when the flexible column would get less than `minFlex`. */
  droppable?: readonly number[];
}

/**
 * Render rows as an aligned plain-text table (no escape codes). With `fit`, no line is longer than
 * `fit.width`: the flexible column's cells are cut with "…", and droppable columns are left out
 * when it would get too narrow.
 *
 * @example
 * table(["name", "description"], [["mock", "Canned replies"]], { width: 80 })
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], fit?: FitOptions): string {
  let columns = header.map((_, i) => i);
  const natural = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const widths = [...natural];
  if (fit) {
    const flex = fit.flex ?? header.length - 1;
    const minFlex = Math.min(fit.minFlex ?? 30, natural[flex]!);
    const othersWidth = () => columns.filter((c) => c !== flex).reduce((sum, c) => sum + natural[c]! + 2, 0);
    for (const drop of fit.droppable ?? []) {
      if (fit.width - othersWidth() >= minFlex) break;
      columns = columns.filter((c) => c !== drop);
    }
    widths[flex] = Math.max(1, Math.min(natural[flex]!, fit.width - othersWidth()));
  }
  const line = (cells: readonly string[]) => {
    const text = columns.map((c) => cut(cells[c] ?? "", widths[c]!).padEnd(widths[c]!)).join("  ").trimEnd();
    return fit ? cut(text, fit.width) : text;
  };
  return `${[line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")}\n`;
}

/** `text` in at most `width` characters, ending in "…" when cut. */
export function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * The width tables are fitted to: the terminal's columns, else `$COLUMNS`, else 100 (output going
 * to a file or a pipe; `--json` gives the full text).
 */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const fromEnv = Number(env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 100;
}
