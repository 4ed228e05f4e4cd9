/**
 * Where each value of a loaded configuration came from, so errors found after merging and
 * validation can still name a file and line. Positions are attached to the plain objects the
 * YAML loader returns and are carried over by the merge helpers.
 */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

const positions = new WeakMap<object, Map<string, SourcePosition>>();
const SELF = "\u0000self";

/** Remember that `obj` (or its `key`) was written at `pos`. */
export function setPosition(obj: object, key: string | undefined, pos: SourcePosition): void {
  let m = positions.get(obj);
  if (!m) positions.set(obj, (m = new Map()));
  m.set(key ?? SELF, pos);
}

/** Where `obj[key]` (or `obj` itself) was written; falls back to the object's own position. */
export function positionOf(obj: unknown, key?: string | number): SourcePosition | undefined {
  if (typeof obj !== "object" || obj === null) return undefined;
  const m = positions.get(obj);
  if (!m) return undefined;
  return (key !== undefined ? m.get(String(key)) : undefined) ?? m.get(SELF);
}

/** Copy every known position of `from` onto `to` (keys of `to` that `from` lacks keep theirs). */
export function copyPositions(from: object, to: object, onlyKeys?: Iterable<string>): void {
  const m = positions.get(from);
  if (!m) return;
  const keys = onlyKeys ? new Set([...onlyKeys, SELF]) : undefined;
  for (const [k, pos] of m) if (!keys || keys.has(k)) setPosition(to, k === SELF ? undefined : k, pos);
}

/** Follow a path of keys from `root` and return the deepest position known on the way. */
export function positionAtPath(root: unknown, path: readonly PropertyKey[]): SourcePosition | undefined {
  let best = positionOf(root);
  let current: unknown = root;
  for (const key of path) {
    if (typeof current !== "object" || current === null) break;
    best = positionOf(current, String(key)) ?? best;
    current = (current as Record<string, unknown>)[String(key)];
  }
  return best;
}
