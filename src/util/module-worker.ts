/**
 * Starting a worker thread from a module that sits next to the caller, whether digit runs from
 * dist/ (`.js`) or from source (`.ts`, under vitest or tsx). Node cannot load a .ts worker by
 * itself, so from source the worker is started through tsx's ESM loader API.
 */
import { createRequire } from "node:module";
import { extname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * Start the worker module `name` (without extension) found beside `callerUrl`.
 *
 * @example
 * const worker = startModuleWorker(import.meta.url, "./worker");
 */
export function startModuleWorker(callerUrl: string, name: string): Worker {
  const ext = extname(fileURLToPath(callerUrl));
  const url = new URL(`${name}${ext}`, callerUrl);
  if (ext !== ".ts" && ext !== ".mts") return new Worker(url);
  // The package's "require" entry of tsx/esm/api is CJS; its .mjs twin is the ESM API.
  const require = createRequire(callerUrl);
  const api = pathToFileURL(require.resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)}));`;
  return new Worker(code, { eval: true });
}
