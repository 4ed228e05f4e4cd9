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
export async function openRegistry(
  opts: Record<string, unknown>,
  cwd: string = process.cwd(),
): Promise<Registry> {
  prepareEnvironment(cwd);
  return Registry.open({
    namespaces: list(opts.includeNamespaces),
    pluginDirs: list(opts.pluginDir),
    builderPaths: list(opts.includeBuilderPaths),
    cwd,
  });
}
