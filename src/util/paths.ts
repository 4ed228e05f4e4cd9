/**
 * Field paths used by `input_map`, `output_map`, dataloader `fields` and `field_map`:
 * dot-separated segments, each `name` or `name[i]` (index), `name[:n]` / `name[n:]` (slices, reads
 * only, last segment only) or `name[+]` (append, writes only).
 *
 * @example
 * getPath({ a: { b: [1, 2] } }, "a.b[1]")          // 2
 * setPath(row, "messages[+].content", "hi")          // appends { content: "hi" }
 */

/** Returned by non-strict reads when the last segment is absent (a present `null` is a value). */
export const MISSING: unique symbol = Symbol("digit.missing");

type Modifier =
  | { kind: "index"; index: number }
  | { kind: "head"; n: number }
  | { kind: "tail"; n: number }
  | { kind: "append" };
interface Segment {
  name: string;
  modifier: Modifier | undefined;
}

/** A path that does not parse. */
export class PathSyntaxError extends Error {}

const cache = new Map<string, Segment[]>();

/** Split a path into segments, validating its syntax. */
export function parsePath(path: string): Segment[] {
  const hit = cache.get(path);
  if (hit) return hit;
  const segments = path.split(".").map((raw) => parseSegment(raw, path));
  if (cache.size > 10_000) cache.clear();
  cache.set(path, segments);
  return segments;
}

/** Names a path may not walk through: writing below them would change every object's prototype. */
const PROTOTYPE_NAMES = new Set(["__proto__", "constructor", "prototype"]);

function parseSegment(raw: string, path: string): Segment {
  if (raw === "") throw new PathSyntaxError(`empty segment in path '${path}'`);
  const bare = raw.includes("[") ? raw.slice(0, raw.indexOf("[")) : raw;
  if (PROTOTYPE_NAMES.has(bare))
    throw new PathSyntaxError(`'${bare}' may not be used in a field path ('${path}')`);
  const open = raw.indexOf("[");
  if (open < 0) {
    if (raw.includes("]")) throw new PathSyntaxError(`unmatched ']' in path '${path}'`);
    return { name: raw, modifier: undefined };
  }
  if (open === 0) throw new PathSyntaxError(`missing field name before '[' in path '${path}'`);
  if (!raw.endsWith("]")) throw new PathSyntaxError(`unclosed '[' in path '${path}'`);
  const inner = raw.slice(open + 1, -1);
  if (inner.includes("[") || inner.includes("]"))
    throw new PathSyntaxError(`nested brackets in path '${path}'`);
  const name = raw.slice(0, open);
  let modifier: Modifier;
  if (inner === "+") modifier = { kind: "append" };
  else if (/^-?\d+$/.test(inner)) modifier = { kind: "index", index: Number(inner) };
  else if (/^:\d+$/.test(inner)) modifier = { kind: "head", n: Number(inner.slice(1)) };
  else if (/^\d+:$/.test(inner)) modifier = { kind: "tail", n: Number(inner.slice(0, -1)) };
  else throw new PathSyntaxError(`bad index '[${inner}]' in path '${path}'`);
  return { name, modifier };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Read a value. A missing intermediate segment is always an error; a missing last segment is an
 * error when `strict`, else `MISSING`.
 */
export function getPath(source: unknown, path: string, strict = true): unknown {
  const segments = parsePath(path);
  let current: unknown = source;
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (!isObject(current))
      throw new TypeError(
        `cannot read '${seg.name}' of a non-object while resolving path '${path}'`,
      );
    if (!(seg.name in current)) {
      if (last && !strict) {
        current = MISSING;
        return;
      }
      throw new KeyError(
        `missing key '${seg.name}' while resolving path '${path}'${last ? "" : " (intermediate segment)"}`,
      );
    }
    let value = current[seg.name];
    const m = seg.modifier;
    if (m) {
      if (m.kind === "append")
        throw new PathSyntaxError(`'[+]' is only allowed when writing (path '${path}')`);
      if (!Array.isArray(value))
        throw new TypeError(`'${seg.name}' is not a list in path '${path}'`);
      if (m.kind === "index") {
        const idx = m.index < 0 ? value.length + m.index : m.index;
        if (idx < 0 || idx >= value.length)
          throw new KeyError(`index ${m.index} out of range for '${seg.name}' in path '${path}'`);
        value = value[idx];
      } else {
        if (!last)
          throw new PathSyntaxError(`slices are only allowed in the last segment (path '${path}')`);
        value = m.kind === "head" ? value.slice(0, m.n) : value.slice(m.n);
      }
    }
    if (!last && (value === null || value === undefined))
      throw new KeyError(
        `'${seg.name}' is null while resolving path '${path}' (intermediate segment)`,
      );
    current = value;
  });
  return current;
}

/** Write a value, creating intermediate objects (and lists for `[+]`) as needed. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const segments = parsePath(path);
  let current: Record<string, unknown> = target;
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    const m = seg.modifier;
    if (!m) {
      if (last) {
        current[seg.name] = value;
        return;
      }
      const next = current[seg.name];
      if (next === undefined || next === null) current[seg.name] = {};
      else if (!isObject(next))
        throw new TypeError(
          `cannot write below '${seg.name}', which is not an object (path '${path}')`,
        );
      current = current[seg.name] as Record<string, unknown>;
      return;
    }
    if (m.kind === "head" || m.kind === "tail")
      throw new PathSyntaxError(`slices cannot be written (path '${path}')`);
    let list = current[seg.name];
    // `[i]` on a missing list creates a one-element list and writes at 0, whatever i is.
    const created = list === undefined || list === null;
    if (created) {
      list = m.kind === "index" ? [last ? null : {}] : [];
      current[seg.name] = list;
    }
    if (!Array.isArray(list)) throw new TypeError(`'${seg.name}' is not a list (path '${path}')`);
    let idx: number;
    if (m.kind === "append") {
      list.push(last ? value : {});
      idx = list.length - 1;
    } else {
      idx = created ? 0 : m.index < 0 ? list.length + m.index : m.index;
      if (idx < 0 || idx >= list.length)
        throw new RangeError(`index ${m.index} out of range for '${seg.name}' (path '${path}')`);
    }
    if (last) {
      list[idx] = value;
      return;
    }
    if (list[idx] === null || list[idx] === undefined) list[idx] = {};
    if (!isObject(list[idx]))
      throw new TypeError(
        `cannot write below '${seg.name}[${idx}]', which is not an object (path '${path}')`,
      );
    current = list[idx] as Record<string, unknown>;
  });
}

/** A missing key while reading a path. */
export class KeyError extends Error {}
