import { existsSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { PluginLoadError } from "../errors.js";
import { CODE_EXT, PACKAGE_ROOT } from "./package-root.js";

const loaded = new Map<string, Promise<unknown>>();

/**
 * Import a builder or plugin module once. TypeScript files are loaded through tsx when digit itself
 * runs compiled on plain Node (which cannot import .ts); any error becomes a PluginLoadError naming the file.
 */
export function loadModule(file: string): Promise<unknown> {
  let p = loaded.get(file);
  if (!p) {
    p = importFile(file).catch((e: unknown) => {
      throw new PluginLoadError(file, e);
    });
    loaded.set(file, p);
  }
  return p;
}

async function importFile(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  const ext = extname(file);
  if ((ext === ".ts" || ext === ".mts") && CODE_EXT !== ".ts") {
    const { tsImport } = await import("tsx/esm/api");
    return tsImport(url, {
      parentURL: import.meta.url,
      ...(usesOwnTsconfig() ? { tsconfig: false as const } : {}),
    });
  }
  return import(url);
}

/**
 * Whether tsx would compile plugins with digit's own tsconfig.json (compiled digit run inside a
 * clone of digit). That file maps "digit-sdg" to src/index.ts for the type checker and for runs
 * from source; a compiled digit must not let its plugins load that second copy of the framework
 * (a second credential pool, other classes), so tsx is told to use no tsconfig there.
 */
function usesOwnTsconfig(): boolean {
  if (process.env.TSX_TSCONFIG_PATH) return false;
  // tsx uses the nearest tsconfig.json from the working directory up.
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "tsconfig.json"))) return dir === PACKAGE_ROOT;
    if (dirname(dir) === dir) return false;
  }
}

/** Files imported so far (for tests that prove the registry is lazy). */
export function loadedModules(): string[] {
  return [...loaded.keys()];
}
