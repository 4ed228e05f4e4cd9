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
  /**
   * Wrap the flexible column's cells onto more lines at spaces instead of cutting them; when it
   * would get fewer than `minFlex` characters, its text goes on indented lines below each row.
   */
  wrap?: boolean;
}

/**
 * Render rows as an aligned plain-text table (no escape codes). With `fit`, no line is longer than
 * `fit.width`: the flexible column's cells are cut with "…" (or wrapped, with `fit.wrap`), and
 * droppable columns are left out when it would get too narrow.
 *
 * @example
 * table(["name", "description"], [["mock", "Canned replies"]], { width: 80 })
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  fit?: FitOptions,
): string {
  let columns = header.map((_, i) => i);
  const natural = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const widths = [...natural];
  if (fit) {
    const flex = fit.flex ?? header.length - 1;
    const minFlex = Math.min(fit.minFlex ?? 30, natural[flex]!);
    const othersWidth = () =>
      columns.filter((c) => c !== flex).reduce((sum, c) => sum + natural[c]! + 2, 0);
    for (const drop of fit.droppable ?? []) {
      if (fit.width - othersWidth() >= minFlex) break;
      columns = columns.filter((c) => c !== drop);
    }
    widths[flex] = Math.max(1, Math.min(natural[flex]!, fit.width - othersWidth()));
    if (fit.wrap && widths[flex]! < minFlex) return below(header, rows, flex, fit.width);
  }
  const flex = fit?.flex ?? header.length - 1;
  const line = (cells: readonly string[], first = false): string => {
    if (!first && fit?.wrap && (cells[flex] ?? "").length > widths[flex]!) {
      const [first, ...rest] = wrapText(cells[flex]!, widths[flex]!);
      const blank = cells.map(() => "");
      return [
        line(cells.map((c, i) => (i === flex ? first! : c))),
        ...rest.map((part) => line(blank.map((b, i) => (i === flex ? part : b)))),
      ].join("\n");
    }
    const text = columns
      .map((c) => cut(cells[c] ?? "", widths[c]!).padEnd(widths[c]!))
      .join("  ")
      .trimEnd();
    return fit ? cut(text, fit.width) : text;
  };
  return `${[line(header, true), line(widths.map((w) => "-".repeat(w))), ...rows.map((r) => line(r))].join("\n")}\n`;
}

/** The table without column `flex`, whose text follows each row on lines indented by 4. */
function below(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  flex: number,
  width: number,
): string {
  const drop = (cells: readonly string[]) => cells.filter((_, i) => i !== flex);
  const lines = table(drop(header), rows.map(drop), { width, flex: header.length - 2, minFlex: 0 })
    .trimEnd()
    .split("\n");
  const out = lines.slice(0, 2);
  rows.forEach((r, i) => {
    out.push(lines[i + 2]!);
    if (r[flex]) out.push(...wrapText(r[flex]!, Math.max(10, width - 4)).map((l) => `    ${l}`));
  });
  return `${out.join("\n")}\n`;
}

/** `text` in lines of at most `width` characters, broken at spaces where possible. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text.trim();
  while (rest.length > width) {
    const space = rest.lastIndexOf(" ", width);
    const at = space > 0 ? space : width;
    lines.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest || lines.length === 0) lines.push(rest);
  return lines;
}

/** `text` in at most `width` characters, ending in "…" when cut. */
export function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * The width tables are fitted to: the terminal's columns, else `$COLUMNS`, else 100 (output going
 * to a file or a pipe; `--json` gives the full text).
 */
export function outputWidth(
  stream: { isTTY?: boolean; columns?: number } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): number {
  if (stream.isTTY && stream.columns) return stream.columns;
  const fromEnv = Number(env.COLUMNS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 100;
}
