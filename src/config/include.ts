import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { ConfigError, DataFileError } from "../errors.js";
import { fastGlob } from "../util/fast-glob.js";
import { isObj, type Obj } from "../util/mapping.js";
import { expandAll, expandString } from "./env.js";
import { deepMerge } from "./merge.js";
import { derivedFrom, positionOf, type SourcePosition } from "./source-map.js";
import { readYamlFile } from "./yaml.js";

/**
 * Load a YAML file with `${VAR}` expansion and `include:` directives resolved, as DiGiT does.
 * `!function` tags are not supported (they would run code from a data file).
 *
 * @example
 * const task = loadYamlWithIncludes("tasks/qa/task.yaml");
 */
export function loadYamlWithIncludes(file: string, cwd = process.cwd()): unknown {
  const value = expandAll(readYamlFile(file));
  return resolveIncludes(value, dirname(file), cwd);
}

/**
 * Resolve `include:` keys anywhere in a loaded value; `baseDir` is the including file's folder.
 * Only objects with an `include:` below them are copied; the rest is returned as is.
 */
export function resolveIncludes(
  value: unknown,
  baseDir: string | undefined,
  cwd = process.cwd(),
): unknown {
  if (Array.isArray(value)) {
    let changed: unknown[] | undefined;
    value.forEach((v, i) => {
      const r = resolveIncludes(v, baseDir, cwd);
      if (r !== v) (changed ??= value.slice())[i] = r;
    });
    return changed ? derivedFrom(changed, value) : value;
  }
  if (!isObj(value)) return value;
  const hasInclude = Object.hasOwn(value, "include");
  let changed = hasInclude;
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "include") continue;
    const r = resolveIncludes(v, baseDir, cwd);
    if (r !== v) changed = true;
    out[k] = r;
  }
  if (!changed) return value;
  derivedFrom(out, value);
  if (!hasInclude) return out;
  const spec = value.include;
  const where = positionOf(value, "include");
  let included: Obj;
  if (typeof spec === "string" || Array.isArray(spec)) {
    const items = loadList(typeof spec === "string" ? [spec] : spec, baseDir, cwd, where);
    included = {};
    for (const item of items) {
      if (!isObj(item))
        throw new ConfigError("an include: list must load mappings", {
          ...where,
          hint: "include YAML files whose top level is a mapping",
        });
      included = deepMerge(included, item);
    }
  } else if (isObj(spec)) {
    included = loadMapping(spec, baseDir, cwd);
  } else {
    throw new ConfigError("include: must be a path, a list of paths or a mapping", where);
  }
  // The including file's own keys win over what it includes (shallow).
  return derivedFrom({ ...included, ...out }, out, included);
}

type Where = SourcePosition | undefined;

/**
 * A mapping include, at any depth: every string leaf is a path or glob replaced by what it loads
 * (a file's content; a glob's list of contents), lists and mappings are walked the same way.
 */
function loadMapping(spec: Obj, baseDir: string | undefined, cwd: string): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(spec))
    out[k] = loadValue(v, baseDir, cwd, positionOf(spec, k));
  return derivedFrom(out, spec);
}

function loadValue(v: unknown, baseDir: string | undefined, cwd: string, where: Where): unknown {
  if (typeof v === "string") return loadOne(v, baseDir, cwd, where);
  if (Array.isArray(v)) return loadList(v, baseDir, cwd, where);
  if (isObj(v)) return loadMapping(v, baseDir, cwd);
  throw new ConfigError(
    `include: values must be paths, lists or mappings, not ${v === null ? "null" : typeof v}`,
    { ...where, hint: "write a file path or glob (quoted if it starts with * or ${)" },
  );
}

function loadList(
  items: unknown[],
  baseDir: string | undefined,
  cwd: string,
  where: Where,
): unknown[] {
  const out: unknown[] = [];
  items.forEach((item, i) => {
    const itemWhere = positionOf(items, i) ?? where;
    if (typeof item !== "string") {
      out.push(loadValue(item, baseDir, cwd, itemWhere));
      return;
    }
    const loaded = loadOne(item, baseDir, cwd, itemWhere);
    if (Array.isArray(loaded))
      out.push(...loaded); // a path's list (a glob, a JSONL file) is spliced in
    else out.push(loaded);
  });
  return out;
}

const isGlob = (p: string) => /[*?[]/.test(p);

function loadOne(spec: string, baseDir: string | undefined, cwd: string, where: Where): unknown {
  const path = expandString(spec, where ?? {});
  const candidates = [
    isAbsolute(path) ? path : resolve(cwd, path),
    ...(baseDir && !isAbsolute(path) ? [resolve(baseDir, path)] : []),
  ];
  for (const c of candidates) if (existsSync(c) && !isGlob(path)) return loadFile(c, cwd);
  if (isGlob(path)) {
    for (const dir of [cwd, ...(baseDir ? [baseDir] : [])]) {
      const matches = fastGlob().sync(path, { cwd: dir, absolute: true }).sort();
      if (matches.length) return matches.map((m) => loadFile(m, cwd));
    }
  }
  throw new ConfigError(`include: '${spec}' matches no file`, {
    ...where,
    hint: `looked in ${candidates.join(" and ")}`,
  });
}

function loadFile(file: string, cwd: string): unknown {
  const ext = extname(file).toLowerCase();
  if (ext === ".yaml" || ext === ".yml") return loadYamlWithIncludes(file, cwd);
  const text = readFileSync(file, "utf8");
  if (ext === ".jsonl") {
    return text.split("\n").flatMap((line, i) => {
      if (!line.trim()) return [];
      try {
        return [JSON.parse(line)];
      } catch {
        throw new DataFileError(`line ${i + 1} is not valid JSON`, { file, line: i + 1 });
      }
    });
  }
  if (ext === ".json") {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new DataFileError(`not valid JSON: ${(e as Error).message}`, { file });
    }
  }
  return text;
}
