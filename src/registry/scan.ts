import { statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { RegistryKind } from "../errors.js";
import { filesBelow } from "../util/files-below.js";

/** A folder whose source files may register things, and the namespace they belong to. */
export interface SourceRoot {
  readonly dir: string;
  readonly namespace: string;
  /** File endings to read, e.g. [".ts"] or [".js", ".mjs", ".ts", ".mts"]. */
  readonly extensions: readonly string[];
}

/** What the static scan learned about one registered name, without importing anything. */
export interface IndexEntry {
  readonly kind: RegistryKind;
  readonly name: string;
  readonly file: string;
  readonly namespace: string;
  /** First sentence of the JSDoc comment above the class, if any. */
  readonly description: string;
}

const DECORATORS: Record<string, RegistryKind> = {
  registerBlock: "block",
  registerDataBuilder: "databuilder",
  registerDatastore: "datastore",
  registerDataloader: "dataloader",
  registerFormatter: "formatter",
};

// A decorator call with one or more string literal names, possibly across lines.
const CALL =
  /\b(registerBlock|registerDataBuilder|registerDatastore|registerDataloader|registerFormatter)\(\s*((?:(["'`])[^"'`\n]+\3\s*,?\s*)+)\)/g;
const NAME = /(["'`])([^"'`\n]+)\1/g;

const TOOL_FUNCTIONS: Record<string, RegistryKind> = {
  registerToolLoader: "tool_loader",
  registerToolEngine: "tool_engine",
  registerToolEnrichment: "tool_enrichment",
  registerToolSampler: "tool_sampler",
};
// A tool registration call: a string literal name, then the definition.
const TOOL_CALL =
  /\b(registerToolLoader|registerToolEngine|registerToolEnrichment|registerToolSampler)\(\s*(["'`])([^"'`\n]+)\2\s*,/g;

/** Declarations and tests register nothing a run can use. */
const SKIPPED = /\.d\.[cm]?ts$|\.test(-d)?\./;

/**
 * What a scan found in each file, keyed by absolute path, with the file's size and modification
 * time then: a file that still has both is not read again (see scan-cache.ts).
 */
export type ScanCache = Record<string, CachedFile>;

/** One file of a ScanCache. */
export interface CachedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly found: readonly Pick<IndexEntry, "kind" | "name" | "description">[];
}

/**
 * Find every decorator registration in the source files under `roots`, in sorted file order.
 * Files that `cache` knows with the same size and modification time are not read.
 *
 * @example
 * await scanRoots([{ dir: "plugins", namespace: "user", extensions: [".ts"] }]);
 */
export async function scanRoots(
  roots: readonly SourceRoot[],
  cache: ScanCache = {},
): Promise<IndexEntry[]> {
  const scanned = await scanFiles(roots, cache, false);
  return [...scanned].flatMap(([file, f]) =>
    f.found.map((e) => ({ ...e, file, namespace: f.root.namespace })),
  );
}

/**
 * Scan `roots` and return what each file holds, in the form `scanRoots` takes as its cache.
 *
 * @example
 * writeFileSync("scan.json", JSON.stringify(await scanCacheOf(roots)));
 */
export async function scanCacheOf(roots: readonly SourceRoot[]): Promise<ScanCache> {
  const cache: ScanCache = {};
  for (const [file, f] of await scanFiles(roots, {}, true))
    cache[file] = { mtimeMs: f.mtimeMs, size: f.size, found: f.found };
  return cache;
}

/** What each file under `roots` registers; files are stat'ed only to check `cache` or when `recordStats`. */
async function scanFiles(
  roots: readonly SourceRoot[],
  cache: ScanCache,
  recordStats: boolean,
): Promise<Map<string, CachedFile & { root: SourceRoot }>> {
  const out = new Map<string, CachedFile & { root: SourceRoot }>();
  for (const root of roots) {
    const files = filesBelow(
      root.dir,
      (name) => root.extensions.some((ext) => name.endsWith(ext)) && !SKIPPED.test(name),
    );
    const stats = files.map((f) =>
      recordStats || cache[f] ? statSync(f, { throwIfNoEntry: false }) : undefined,
    );
    const texts = await Promise.all(
      files.map((f, i) => {
        const hit = cache[f];
        const st = stats[i];
        return hit && st && hit.mtimeMs === st.mtimeMs && hit.size === st.size
          ? undefined
          : readFile(f, "utf8").catch(() => "");
      }),
    );
    files.forEach((file, i) => {
      const text = texts[i];
      const found =
        text === undefined
          ? cache[file]!.found
          : scanText(text, file, root.namespace).map(({ kind, name, description }) => ({
              kind,
              name,
              description,
            }));
      out.set(file, { mtimeMs: stats[i]?.mtimeMs ?? 0, size: stats[i]?.size ?? 0, found, root });
    });
  }
  return out;
}

/** Find registrations in one file's text. Comments are blanked first so examples in docs do not count. */
export function scanText(text: string, file: string, namespace: string): IndexEntry[] {
  if (!text.includes("register")) return [];
  const code = blankComments(text);
  const found: IndexEntry[] = [];
  for (const m of code.matchAll(CALL)) {
    const kind = DECORATORS[m[1]!]!;
    const description = docAbove(text, m.index);
    for (const n of m[2]!.matchAll(NAME))
      found.push({ kind, name: n[2]!, file, namespace, description });
  }
  for (const m of code.matchAll(TOOL_CALL)) {
    const kind = TOOL_FUNCTIONS[m[1]!]!;
    // The JSDoc above the statement the call is in (`export const x = registerToolEngine(...)`).
    const line = text.lastIndexOf("\n", m.index) + 1;
    found.push({ kind, name: m[3]!, file, namespace, description: docAbove(text, line) });
  }
  return found;
}

/** Replace comments with spaces (keeping offsets), leaving string literals alone. */
function blankComments(text: string): string {
  return text.replace(
    /("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g,
    (all, str: string | undefined) => (str !== undefined ? all : all.replace(/[^\n]/g, " ")),
  );
}

const COMPILED_CLASS_HEAD =
  /^\s*(export\s+)?let\s+[\w$]+\s*=\s*\(\(\)\s*=>\s*\{\s*let\s+_classDecorators\s*=\s*\[\s*$/;

/** The first sentence of the last JSDoc block that ends before `offset`. */
function docAbove(text: string, offset: number): string {
  const before = text.slice(Math.max(0, offset - 4000), offset);
  const start = before.lastIndexOf("/**");
  if (start < 0) return "";
  const end = before.indexOf("*/", start);
  if (end < 0) return "";
  // Only a comment directly attached to this declaration (nothing but decorators/whitespace between),
  // in source or as tsc compiles a decorated class (`let X = (() => { let _classDecorators = [`).
  const between = before.slice(end + 2);
  if (
    !COMPILED_CLASS_HEAD.test(between) &&
    /\b(class|function|const|let)\b/.test(between.replace(/@\w+\([^)]*\)/g, ""))
  )
    return "";
  const body = before
    .slice(start + 3, end)
    .split("\n")
    .map((l) => l.replace(/^\s*\*\s?/, "").trim())
    .filter((l) => l && !l.startsWith("@"))
    .join(" ");
  // A sentence ends before a capital letter or at the end ("e.g. a vLLM server" goes on).
  const sentence = /^(.*?[.!?])(?=\s+[A-Z]|\s*$)/.exec(body);
  return (sentence ? sentence[1]! : body).trim();
}
