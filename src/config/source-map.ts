/**
 * Where each value of a loaded configuration came from, so errors found after merging and
 * validation can still name a file and line. Positions are attached to the plain objects the
 * YAML loader returns and are carried over by the merge helpers.
 */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

/**
 * The positions of one object's keys. Copies of a configuration (variable expansion, include
 * resolution, validation) share one record until one of them is written to, so a large file's
 * positions are held once, not once per copy.
 */
interface PositionRecord {
  lines: Map<string, SourcePosition>;
  shared: boolean;
}

const positions = new WeakMap<object, PositionRecord>();
const SELF = "\u0000self";

/** Remember that `obj` (or its `key`) was written at `pos`. */
export function setPosition(obj: object, key: string | undefined, pos: SourcePosition): void {
  writable(obj).set(key ?? SELF, pos);
}

/** The key map of `obj` to write to: its own (a shared record is copied first). */
function writable(obj: object): Map<string, SourcePosition> {
  const r = positions.get(obj);
  if (!r) {
    const lines = new Map<string, SourcePosition>();
    positions.set(obj, { lines, shared: false });
    return lines;
  }
  if (r.shared) {
    const lines = new Map(r.lines);
    positions.set(obj, { lines, shared: false });
    return lines;
  }
  return r.lines;
}

/** Where `obj[key]` (or `obj` itself) was written; falls back to the object's own position. */
export function positionOf(obj: unknown, key?: string | number): SourcePosition | undefined {
  if (typeof obj !== "object" || obj === null) return undefined;
  const m = positions.get(obj)?.lines;
  if (!m) return undefined;
  return (key !== undefined ? m.get(String(key)) : undefined) ?? m.get(SELF);
}

/** Copy every known position of `from` onto `to` (keys of `to` that `from` lacks keep theirs). */
export function copyPositions(from: object, to: object, onlyKeys?: Iterable<string>): void {
  const r = positions.get(from);
  if (!r) return;
  if (!onlyKeys && !positions.has(to)) {
    // `to` has no positions of its own: share `from`'s until either is written to.
    r.shared = true;
    positions.set(to, r);
    return;
  }
  const keys = onlyKeys ? new Set([...onlyKeys, SELF]) : undefined;
  const target = writable(to);
  for (const [k, pos] of r.lines) if (!keys || keys.has(k)) target.set(k, pos);
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
