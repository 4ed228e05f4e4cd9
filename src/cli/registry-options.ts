import { prepareEnvironment } from "../config/env.js";
import { Registry } from "../registry/registry.js";
import { list } from "./option-spec.js";


/**
 * Open the registry the way a command's `--include-namespaces`, `--plugin-dir` and
 * `--include-builder-paths` ask (nothing is imported).
 *
 * @example
 * const registry = await openRegistry({ includeNamespaces: ["public"] });
 */
export async function openRegistry(opts: Record<string, unknown>, cwd: string = process.cwd()): Promise<Registry> {
  prepareEnvironment(cwd);
  return Registry.open({ namespaces: list(opts.includeNamespaces), pluginDirs: list(opts.pluginDir), builderPaths: list(opts.includeBuilderPaths), cwd });
}

/** Render rows as an aligned plain-text table (no escape codes). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (c ?? "").padEnd(widths[i]!)).join("  ").trimEnd();
  return `${[line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")}\n`;
}
