import { isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";

/**
 * Where a value of a loaded configuration was written, so errors found after merging and
 * validation can still name a file and line.
 *
 * Positions are not copied around. Every mapping and list the YAML loader returns carries, under
 * a non-enumerable symbol, its own line and the lines of its keys or items, recorded once when the
 * file is parsed (the parsed `yaml` document itself is not kept). A new object made from loaded ones (a merge, a variable
 * expansion, a validated copy) carries instead the objects it was made from, in priority order,
 * and a lookup follows them to the node that holds the key. Being non-enumerable, the link is
 * invisible to `Object.keys`, spreading, JSON and deep equality.
 */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

/** A mapping or list read from YAML: its line, and the line of each key (or item) in order. */
interface ParsedOrigin {
  readonly file: string;
  readonly line: number;
  /** A mapping's keys, in the order of `keyLines`; undefined for a list (items by index). */
  readonly keys: readonly string[] | undefined;
  readonly keyLines: Uint32Array;
  /** Key to index in `keys`, built on the first lookup in a large mapping. */
  index?: Map<string, number>;
}

/** An object made from others: a key is looked up in the first source that has it. */
interface DerivedOrigin {
  readonly from: readonly object[];
}

type Origin = ParsedOrigin | DerivedOrigin;

const ORIGIN: unique symbol = Symbol("digit.origin");

function originOf(obj: object): Origin | undefined {
  return (obj as { [ORIGIN]?: Origin })[ORIGIN];
}

function setOrigin(obj: object, origin: Origin): void {
  Object.defineProperty(obj, ORIGIN, {
    value: origin,
    enumerable: false,
    writable: true,
    configurable: true,
  });
}

/**
 * Record on a mapping or list the YAML loader returned the lines it and its keys or items were
 * written on, and the same on its nested mappings and lists. An object already recorded (an alias
 * of an anchor) keeps its record.
 *
 * @example
 * attachYamlNodes(doc.contents, doc.toJS(), "task.yaml", lineCounter);
 */
export function attachYamlNodes(
  node: unknown,
  value: unknown,
  file: string,
  lines: LineCounter,
): void {
  if (typeof value !== "object" || value === null || originOf(value)) return;
  const lineOf = (n: unknown): number => {
    const offset = (n as Node | null | undefined)?.range?.[0];
    return offset === undefined ? 0 : lines.linePos(offset).line;
  };
  if (isMap(node) && !Array.isArray(value)) {
    const pairs = node.items.filter((pair) => keyText(pair.key) !== "<<");
    const keys = pairs.map((pair) => keyText(pair.key));
    setOrigin(value, {
      file,
      line: lineOf(node),
      keys,
      keyLines: Uint32Array.from(pairs, (p) => lineOf(p.key)),
    });
    pairs.forEach((pair, i) => {
      const key = keys[i]!;
      if (Object.hasOwn(value, key))
        attachYamlNodes(pair.value, (value as Record<string, unknown>)[key], file, lines);
    });
  } else if (isSeq(node) && Array.isArray(value)) {
    setOrigin(value, {
      file,
      line: lineOf(node),
      keys: undefined,
      keyLines: Uint32Array.from(node.items, lineOf),
    });
    node.items.forEach((item, i) => {
      attachYamlNodes(item, value[i], file, lines);
    });
  }
}

/** The text of a mapping key node, as the loaded object's key. */
export function keyText(keyNode: unknown): string {
  return isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
}

/**
 * Mark `copy` as made from `sources` (highest priority first): positions of its keys are those of
 * the first source that has the key. Returns `copy`.
 *
 * @example
 * const merged = derivedFrom({ ...base, ...override }, override, base);
 */
export function derivedFrom<T extends object>(copy: T, ...sources: object[]): T {
  const from = sources.filter((s) => s !== copy && originOf(s));
  if (from.length) setOrigin(copy, { from });
  return copy;
}

/**
 * A shallow copy of `obj` without `keys`, keeping the positions of the rest.
 *
 * @example
 * const settings = withoutKeys(builderOverride, ["data_builder"]);
 */
export function withoutKeys<T extends Record<string, unknown>>(obj: T, keys: readonly string[]): T {
  const out = Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k))) as T;
  return derivedFrom(out, obj);
}

/**
 * Link every mapping and list of `copy` (a validated copy of `source` of the same shape, such as
 * zod's output) to its counterpart in `source`.
 *
 * @example
 * const parsed = derivedDeep(schema.parse(raw), raw);
 */
export function derivedDeep<T>(copy: T, source: unknown): T {
  link(copy, source, new Set());
  return copy;
}

function link(copy: unknown, source: unknown, seen: Set<object>): void {
  if (typeof copy !== "object" || copy === null || typeof source !== "object" || source === null)
    return;
  if (copy === source || seen.has(copy)) return;
  seen.add(copy);
  derivedFrom(copy, source);
  if (Array.isArray(copy) && Array.isArray(source)) {
    copy.forEach((v, i) => {
      link(v, source[i], seen);
    });
  } else if (!Array.isArray(copy) && !Array.isArray(source)) {
    for (const k of Object.keys(copy))
      link((copy as Record<string, unknown>)[k], (source as Record<string, unknown>)[k], seen);
  }
}

/**
 * Where `obj[key]` (or `obj` itself) was written; falls back to the object's own position.
 *
 * @example
 * throw new ConfigError("unknown type", { ...positionOf(block, "type") });
 */
export function positionOf(obj: unknown, key?: string | number): SourcePosition | undefined {
  if (typeof obj !== "object" || obj === null) return undefined;
  return (key !== undefined ? keyPosition(obj, String(key), 0) : undefined) ?? selfPosition(obj, 0);
}

/** Sources of sources are followed this deep at most (a guard against a linked cycle). */
const MAX_DEPTH = 64;

function keyPosition(obj: object, key: string, depth: number): SourcePosition | undefined {
  const origin = originOf(obj);
  if (!origin || depth > MAX_DEPTH) return undefined;
  if ("from" in origin) {
    for (const src of origin.from) {
      if (!Object.hasOwn(src, key)) continue;
      const pos = keyPosition(src, key, depth + 1);
      if (pos) return pos;
    }
    return undefined;
  }
  const i = keyIndex(origin, key);
  return i === undefined ? undefined : { file: origin.file, line: origin.keyLines[i]! };
}

function selfPosition(obj: object, depth: number): SourcePosition | undefined {
  const origin = originOf(obj);
  if (!origin || depth > MAX_DEPTH) return undefined;
  if ("file" in origin) return { file: origin.file, line: origin.line };
  for (const src of origin.from) {
    const pos = selfPosition(src, depth + 1);
    if (pos) return pos;
  }
  return undefined;
}

/** Where `key` is in a parsed mapping's keys (a list's item index), if it was written there. */
function keyIndex(origin: ParsedOrigin, key: string): number | undefined {
  const { keys } = origin;
  if (!keys) {
    const i = /^\d+$/.test(key) ? Number(key) : -1;
    return i >= 0 && i < origin.keyLines.length ? i : undefined;
  }
  if (keys.length <= 16) {
    const i = keys.indexOf(key);
    return i < 0 ? undefined : i;
  }
  if (!origin.index) {
    origin.index = new Map();
    keys.forEach((k, i) => {
      if (!origin.index!.has(k)) origin.index!.set(k, i);
    });
  }
  return origin.index.get(key);
}

/**
 * Follow a path of keys from `root` and return the deepest position known on the way.
 *
 * @example
 * positionAtPath(task, ["runner_config", "seed_batch_size"]) // { file: "task.yaml", line: 7 }
 */
export function positionAtPath(
  root: unknown,
  path: readonly PropertyKey[],
): SourcePosition | undefined {
  let best = positionOf(root);
  let current: unknown = root;
  for (const key of path) {
    if (typeof current !== "object" || current === null) break;
    best = positionOf(current, String(key)) ?? best;
    current = (current as Record<string, unknown>)[String(key)];
  }
  return best;
}
