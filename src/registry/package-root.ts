import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceRoot } from "./scan.js";

const here = fileURLToPath(import.meta.url);
const compiled = here.includes(`${sep}dist${sep}src${sep}`);

/** The folder holding digit's package.json, builders/, tasks/ and data/. */
export const PACKAGE_ROOT = resolve(dirname(here), compiled ? "../../.." : "../..");

/** Where the code that runs lives: the package root from source, dist/ when compiled. */
export const CODE_ROOT = compiled ? join(PACKAGE_ROOT, "dist") : PACKAGE_ROOT;

/** The file ending of digit's own running code: ".ts" under tsx/vitest, ".js" when compiled. */
export const CODE_EXT = extname(here);

/**
 * Namespaces shipped with the package: `core` plus every folder under builders/. A `plugins/`
 * folder is always the user's, even in a clone of digit itself, so the package ships none.
 *
 * @example
 * packageNamespaces() // ["core", "public"]
 */
export function packageNamespaces(): string[] {
  const names = new Set<string>(["core"]);
  const dir = join(PACKAGE_ROOT, "builders");
  if (existsSync(dir))
    for (const d of readdirSync(dir)) if (statSync(join(dir, d)).isDirectory()) names.add(d);
  return [...names].sort();
}

/**
 * The folders of the package's own running code that may register things: src/ (namespace
 * `core`) and builders/<ns> for every shipped namespace.
 *
 * @example
 * packageSourceRoots() // [{ dir: ".../dist/src", namespace: "core", extensions: [".js"] }, ...]
 */
export function packageSourceRoots(
  namespaces: readonly string[] = packageNamespaces(),
): SourceRoot[] {
  const roots: SourceRoot[] = [
    { dir: join(CODE_ROOT, "src"), namespace: "core", extensions: [CODE_EXT] },
  ];
  for (const ns of namespaces) {
    const dir = join(CODE_ROOT, "builders", ns);
    if (existsSync(dir)) roots.push({ dir, namespace: ns, extensions: [CODE_EXT] });
  }
  return roots;
}
