import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, UnsetVariableError, YamlSyntaxError } from "../errors.js";
import { derivedFrom, positionOf } from "./source-map.js";

/** DiGiT's environment defaults, set when absent. */
export const ENV_DEFAULTS: Readonly<Record<string, string>> = {
  DGT_DATA_DIR: "data",
  DGT_OUTPUT_DIR: "output",
  DGT_TELEMETRY_DIR: "telemetry",
  DGT_TELEMETRY_DISABLE: "",
  // DGT_CACHE_DIR stays unset: the response cache defaults to .cache/digit, and the batch journal
  // and tool enrichments to .cache, each where it is read, so every command finds the same files.
};

/**
 * Load `./.env` (variables already in the environment win, even empty ones) and set DiGiT's
 * defaults for the DGT_* variables that are unset or empty.
 *
 * @example
 * prepareEnvironment(process.cwd());
 */
export function prepareEnvironment(cwd: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = join(cwd, ".env");
  if (existsSync(file)) {
    if (env === process.env) process.loadEnvFile(file);
  }
  // An empty value counts as unset (otherwise output would land in the working directory itself).
  for (const [k, v] of Object.entries(ENV_DEFAULTS)) if (!env[k]) env[k] = v;
}

/** Where a value was written, for errors. */
type Where = { file?: string | undefined; line?: number | undefined };

/** How deeply `${...}` references may nest (`${A_${B}}`, `${X:-${Y:-...}}`). */
const MAX_NESTING = 16;

/** A character that may appear in a variable name. */
const NAME_CHAR = /[A-Za-z0-9_]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Expand `${VAR}` and `${VAR:-default}` in one string. References nest, innermost first:
 * `${A_${B}}` reads the variable whose name is `A_` followed by B's value, and a default may itself
 * hold references (`${X:-${Y}}`), expanded only when the default is used. An unset variable
 * without a default, and a reference without its closing `}`, are errors naming the file and line
 * of the value. `$$` stands for a literal `$`; a bare `$word` stays text.
 *
 * @example
 * expandString("${DGT_DATA_DIR}/seeds.jsonl") // "data/seeds.jsonl"
 * expandString("${MODEL_${STAGE}:-${DEFAULT_MODEL}}") // MODEL_dev's value, or DEFAULT_MODEL's
 */
export function expandString(
  value: string,
  where: Where = {},
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (!value.includes("$")) return value;
  return expandText(value, 0, value.length, { value, where, env }, 0);
}

interface Source {
  /** The whole string (for error messages and indexes). */
  value: string;
  where: Where;
  env: NodeJS.ProcessEnv;
}

/** Expand `src.value` between `from` and `to` (text with `$$` and references). */
function expandText(text: string, from: number, to: number, src: Source, depth: number): string {
  let out = "";
  let i = from;
  while (i < to) {
    const dollar = text.indexOf("$", i);
    if (dollar < 0 || dollar >= to) {
      out += text.slice(i, to);
      break;
    }
    out += text.slice(i, dollar);
    if (text[dollar + 1] === "$") {
      out += "$";
      i = dollar + 2;
      continue;
    }
    const ref = text[dollar + 1] === "{" ? reference(text, dollar, to, src, depth) : undefined;
    if (!ref) {
      out += "$";
      i = dollar + 1;
      continue;
    }
    out += ref.value;
    i = ref.end;
  }
  return out;
}

/**
 * The reference starting at `text[at]` ("${"): its value and the index after its `}`; undefined
 * when the text there is not a reference (such as `${ x }`), which then stays as written.
 */
function reference(
  text: string,
  at: number,
  to: number,
  src: Source,
  depth: number,
): { value: string; end: number } | undefined {
  if (depth >= MAX_NESTING)
    throw new ConfigError(
      `variable references nest more than ${MAX_NESTING} deep in ${JSON.stringify(src.value)}`,
      { ...src.where, hint: "simplify the ${...} references" },
    );
  let name = "";
  let nested = false;
  let i = at + 2;
  while (i < to) {
    const c = text[i]!;
    if (c === "$" && text[i + 1] === "{") {
      const inner = reference(text, i, to, src, depth + 1);
      if (!inner) return undefined;
      name += inner.value;
      nested = true;
      i = inner.end;
    } else if (c === "}" || (c === ":" && text[i + 1] === "-")) {
      if (!name) return undefined; // "${}" and "${:-x}" are text, as before nesting existed
      if (!NAME.test(name)) {
        if (!nested) return undefined; // "${1x}" is text, as before nesting existed
        throw new ConfigError(
          `'${name}', built by a nested \${...} reference, is not a valid variable name`,
          {
            ...src.where,
            hint: "a variable name has letters, digits and underscores, and does not start with a digit",
          },
        );
      }
      const set = src.env[name];
      if (c === "}") {
        if (set === undefined) throw new UnsetVariableError(name, src.where);
        return { value: set, end: i + 1 };
      }
      const end = closingBrace(text, i + 2, to, src, at);
      // The default is expanded only when it is used (a default naming an unset variable is fine otherwise).
      const value =
        set !== undefined && set !== "" ? set : expandText(text, i + 2, end, src, depth + 1);
      return { value, end: end + 1 };
    } else if (NAME_CHAR.test(c)) {
      name += c;
      i++;
    } else {
      if (nested)
        throw new ConfigError(
          `bad variable reference in ${JSON.stringify(src.value)}: '${c}' inside \${...}`,
          {
            ...src.where,
            hint: "write ${NAME}, ${NAME:-default} or ${PREFIX_${OTHER}}; use $$ for a literal $",
          },
        );
      return undefined;
    }
  }
  throw unterminated(src, at);
}

/** The index of the `}` closing a default that starts at `from`, skipping nested references and `$$`. */
function closingBrace(text: string, from: number, to: number, src: Source, at: number): number {
  let open = 0;
  for (let i = from; i < to; i++) {
    const c = text[i];
    if (c === "$" && text[i + 1] === "$") i++;
    else if (c === "$" && text[i + 1] === "{") {
      open++;
      i++;
    } else if (c === "}") {
      if (open === 0) return i;
      open--;
    }
  }
  throw unterminated(src, at);
}

function unterminated(src: Source, at: number): ConfigError {
  const start = src.value.slice(at, at + 40);
  return new ConfigError(
    `the variable reference '${start}${src.value.length > at + 40 ? "…" : ""}' has no closing '}'`,
    {
      ...src.where,
      hint: "close it with }, or write $${ for a literal ${",
    },
  );
}

/**
 * The most values a configuration may hold once YAML aliases are expanded. Aliases let a small
 * file name one large anchored value many times; past this, loading is refused instead of
 * copying it out.
 */
export const MAX_EXPANDED_VALUES = 5_000_000;

/**
 * Expand variables in every string of a loaded YAML value (keys are left alone). Objects and lists
 * are copied only where a string changed or where YAML aliases made one object appear twice (so
 * the result never shares an object between two places); everything else is returned as is.
 */
export function expandAll<T>(value: T, env: NodeJS.ProcessEnv = process.env): T {
  const state: WalkState = { env, seen: new Set(), count: 0, root: value };
  return walk(value, undefined, undefined, state) as T;
}

interface WalkState {
  env: NodeJS.ProcessEnv;
  /** Objects met so far: meeting one again means an alias, and that place gets its own copy. */
  seen: Set<object>;
  count: number;
  root: unknown;
}

function walk(
  value: unknown,
  parent: object | undefined,
  key: string | undefined,
  state: WalkState,
): unknown {
  if (++state.count > MAX_EXPANDED_VALUES) {
    throw new YamlSyntaxError(
      `the configuration holds more than ${MAX_EXPANDED_VALUES.toLocaleString("en-US")} values once its YAML aliases are expanded`,
      {
        file: positionOf(state.root)?.file,
        hint: "aliases (*name) repeat what their anchor (&name) holds; write smaller anchors or move the data into a data file",
      },
    );
  }
  if (typeof value === "string")
    return value.includes("$")
      ? expandString(value, positionOf(parent, key) ?? {}, state.env)
      : value;
  if (typeof value !== "object" || value === null) return value;
  const again = state.seen.has(value);
  state.seen.add(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined = again ? value.slice() : undefined;
    value.forEach((v, i) => {
      const w = walk(v, value, String(i), state);
      if (w !== v) (out ??= value.slice())[i] = w;
    });
    return out ? derivedFrom(out, value) : value;
  }
  let out: Record<string, unknown> | undefined = again
    ? { ...(value as Record<string, unknown>) }
    : undefined;
  for (const [k, v] of Object.entries(value)) {
    const w = walk(v, value, k, state);
    if (w !== v) (out ??= { ...(value as Record<string, unknown>) })[k] = w;
  }
  return out ? derivedFrom(out, value) : value;
}
