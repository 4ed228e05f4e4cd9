import { existsSync } from "node:fs";
import { join } from "node:path";
import { UnsetVariableError } from "../errors.js";
import { copyPositions, positionOf } from "./source-map.js";

/** DiGiT's environment defaults, set when absent. */
export const ENV_DEFAULTS: Readonly<Record<string, string>> = {
  DGT_DATA_DIR: "data",
  DGT_OUTPUT_DIR: "output",
  DGT_TELEMETRY_DIR: "telemetry",
  DGT_TELEMETRY_DISABLE: "",
  DGT_CACHE_DIR: ".cache",
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

// Only the braced form is expanded everywhere: a bare "$word" inside a prompt or seed text stays text.
const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Expand `${VAR}` and `${VAR:-default}` in one string. An unset variable without a default is an
 * error naming the file and line of the value. `$$` stands for a literal `$`.
 *
 * @example
 * expandString("${DGT_DATA_DIR}/seeds.jsonl") // "data/seeds.jsonl"
 */
export function expandString(value: string, where: { file?: string | undefined; line?: number | undefined } = {}, env: NodeJS.ProcessEnv = process.env): string {
  if (!value.includes("$")) return value;
  const parts = value.split("$$");
  return parts
    .map((part) =>
      part.replace(VAR, (_all, name: string, fallback: string | undefined) => {
        const v = env[name];
        if (v !== undefined && v !== "") return v;
        if (fallback !== undefined) return fallback;
        if (v !== undefined) return v;
        throw new UnsetVariableError(name, where);
      }),
    )
    .join("$");
}

/** Expand variables in every string of a loaded YAML value (keys are left alone). */
export function expandAll<T>(value: T, env: NodeJS.ProcessEnv = process.env): T {
  return walk(value, undefined, undefined, env) as T;
}

function walk(value: unknown, parent: object | undefined, key: string | undefined, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === "string") return expandString(value, positionOf(parent, key) ?? {}, env);
  if (Array.isArray(value)) {
    const out = value.map((v, i) => walk(v, value, String(i), env));
    copyPositions(value, out);
    return out;
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, value, k, env);
    copyPositions(value, out);
    return out;
  }
  return value;
}
