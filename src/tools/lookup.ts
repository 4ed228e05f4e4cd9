import { ConfigError } from "../errors.js";
import type { Registry } from "../registry/registry.js";
import { suggestion } from "../util/did-you-mean.js";
import { type ToolKind, toolDefinition, toolTypeNames } from "./register.js";

/**
 * A definition from a built-in map or (given `plugins`) a plugin's registration, or a ConfigError
 * with the closest name.
 *
 * @example
 * const def = await lookup(LOADERS, "fiel", "tools.registry[0]: tool loader", "task.yaml");
 */
export async function lookup<D>(
  map: Record<string, () => Promise<D>>,
  type: string,
  what: string,
  file: string,
  plugins?: { kind: ToolKind; registry: Registry | undefined },
): Promise<D> {
  const def = await toolDefinition(plugins?.kind ?? "tool_loader", map, type, plugins?.registry);
  if (def === undefined) {
    const known = plugins ? toolTypeNames(plugins.kind, map, plugins.registry) : Object.keys(map);
    throw new ConfigError(`${what} '${type}' is not known (${suggestion(type, known)})`, { file });
  }
  return def;
}
