import { ConfigError } from "../errors.js";
import { suggestion } from "../util/did-you-mean.js";

/**
 * A definition from a built-in map, or a ConfigError with the closest name.
 *
 * @example
 * const def = await lookup(LOADERS, "fiel", "tools.registry[0]: tool loader", "task.yaml");
 */
export async function lookup<D>(
  map: Record<string, () => Promise<D>>,
  type: string,
  what: string,
  file: string,
): Promise<D> {
  const load = map[type];
  if (!load)
    throw new ConfigError(
      `${what} '${type}' is not known (${suggestion(type, Object.keys(map))})`,
      { file },
    );
  return load();
}
