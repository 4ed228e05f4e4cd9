import { extname } from "node:path";
import { pathToFileURL } from "node:url";
import { PluginLoadError } from "../errors.js";
import { CODE_EXT } from "./package-root.js";

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
    return tsImport(url, import.meta.url);
  }
  return import(url);
}

/** Files imported so far (for tests that prove the registry is lazy). */
export function loadedModules(): string[] {
  return [...loaded.keys()];
}
