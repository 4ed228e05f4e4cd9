/**
 * Shared plumbing of the per-field validators (`length`, `regex`, `json_schema`): each checks one
 * or more fields of the caller's row, named by path (`answer`, `meta.tags[0]`), with a rule per
 * field. The shorthand form (rule keys at the top level of the block config) checks the block's
 * `input`, which `input_map` can point at any field.
 */
import { z } from "zod";
import { ConfigError } from "../../errors.js";
import { getPath, MISSING, parsePath } from "../../util/paths.js";
import type { BlockItem } from "../block.js";
import { reject, type Validation, ValidatorBlock } from "../validator.js";

/**
 * The block config of a per-field validator: `filter`, the rule keys (shorthand) and `fields`.
 *
 * @example
 * static override configSchema = perFieldSchema(z.strictObject({ min: z.number().optional() }));
 */
export function perFieldSchema<S extends z.ZodObject>(rule: S) {
  // Top-level (shorthand) keys carry no defaults: a default there would look like a shorthand
  // rule given next to `fields`. The rule schema applies the defaults when the rule is parsed.
  // The rule's default is named in the description instead (`digit describe` shows it).
  const shorthand = Object.fromEntries(
    Object.entries(rule.shape).map(([k, v]) => {
      const key = v as z.ZodType;
      if (!(key instanceof z.ZodDefault)) return [k, key.optional()];
      const text = `${key.description ? `${key.description} ` : ""}(default ${JSON.stringify(key._zod.def.defaultValue)})`;
      return [k, (key.unwrap() as z.ZodType).optional().describe(text)];
    }),
  );
  return ValidatorBlock.configSchema.extend({
    ...shorthand,
    fields: z
      .record(z.string(), rule)
      .optional()
      .describe(
        "{field path: rule}: check these fields of the row, each by its own rule (instead of the top-level rule keys, which check input)",
      ),
  });
}

/**
 * The (path, rule) pairs a per-field validator checks, from its config: `fields:` or the
 * shorthand on `input`.
 *
 * @example
 * this.rules = rulesOf(config, ["min", "max"], (raw) => rule.parse(raw)); // [["answer", {min: 1}], ...]
 */
export function rulesOf<R>(
  config: Readonly<Record<string, unknown>> & { name: string },
  ruleKeys: readonly string[],
  parse: (raw: Record<string, unknown>, path: string) => R,
): [string, R][] {
  const fields = config.fields as Record<string, Record<string, unknown>> | undefined;
  const shorthand = Object.fromEntries(
    ruleKeys.filter((k) => config[k] !== undefined).map((k) => [k, config[k]]),
  );
  if (fields && Object.keys(shorthand).length) {
    throw new ConfigError(
      `block '${config.name}': give either 'fields' or ${Object.keys(shorthand)
        .map((k) => `'${k}'`)
        .join(", ")} at the top level, not both`,
      {
        hint: `move the top-level rule under fields, e.g. fields: { input: { ${Object.keys(shorthand)[0]}: ... } }`,
      },
    );
  }
  if (fields) {
    const entries = Object.entries(fields);
    if (!entries.length)
      throw new ConfigError(`block '${config.name}': 'fields' is empty`, {
        hint: "name at least one field to check",
      });
    for (const [path] of entries) {
      try {
        parsePath(path);
      } catch (e) {
        throw new ConfigError(
          `block '${config.name}': bad field path '${path}': ${(e as Error).message}`,
        );
      }
    }
    return entries.map(([path, raw]) => [path, parse(raw, path)]);
  }
  return [["input", parse(shorthand, "input")]];
}

/**
 * The value a rule checks: the mapped `input`, or a path of the caller's row (MISSING if absent).
 *
 * @example
 * fieldValue(item, "answer.text")
 */
export function fieldValue(item: BlockItem, path: string): unknown {
  if (path === "input") return "input" in item ? item.input : MISSING;
  try {
    return getPath(item.SRC_DATA, path, false);
  } catch {
    return MISSING;
  }
}

/**
 * Run `check` on every configured field; the first failure rejects the row with the field named
 * in the reason and in `metadata.field`.
 *
 * @example
 * return checkFields(item, this.rules, (v, r) => (String(v).length < r.min ? "too short" : undefined));
 */
export function checkFields<R>(
  item: BlockItem,
  rules: readonly [string, R][],
  check: (
    value: unknown,
    rule: R,
    path: string,
  ) => string | undefined | { reason: string; metadata?: Record<string, unknown> },
): Validation {
  for (const [path, rule] of rules) {
    const value = fieldValue(item, path);
    if (value === MISSING) return reject(`field '${path}' is missing`, { field: path });
    const failure = check(value, rule, path);
    if (failure === undefined) continue;
    if (typeof failure === "string") return reject(`${path}: ${failure}`, { field: path });
    return reject(`${path}: ${failure.reason}`, { field: path, ...failure.metadata });
  }
  return true;
}
