import type { Random, Row } from "digit-sdg";
import { balanced } from "../../../../../src/util/json-loose.js";
import { isObj } from "../../../../../src/util/mapping.js";

/**
 * A planned or executed call as stored in steps: `{name, arguments, id?}` (plus `namespace` on
 * plan steps).
 *
 * @example
 * const c: CallDict = { name: "get_order", arguments: { order_id: "#W1" }, id: "$1" };
 */
export type CallDict = Row & { name: string; arguments: Row; id?: string };

/**
 * The first JSON list of objects or object in a reply (DiGiT's extract_first_tool_call).
 *
 * @example
 * firstToolCallJson('<tool_calls>[{"name": "a"}]</tool_calls>') // '[{"name": "a"}]'
 */
export function firstToolCallJson(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (
      c === "[" &&
      text
        .slice(i + 1)
        .trimStart()
        .startsWith("{")
    )
      return balanced(text, i);
    if (c === "{" && text.slice(i + 1).trim()) return balanced(text, i);
  }
  return undefined;
}

/**
 * Minimal shape check of calls: objects with exactly name, arguments (object) and id (string).
 *
 * @example
 * syntaxOk([{ name: "a", arguments: {}, id: "$1" }]) // true
 */
export function syntaxOk(calls: unknown): calls is CallDict[] {
  return (
    Array.isArray(calls) &&
    calls.length > 0 &&
    calls.every(
      (c) =>
        isObj(c) &&
        Object.keys(c).length === 3 &&
        typeof c.name === "string" &&
        typeof c.id === "string" &&
        isObj(c.arguments),
    )
  );
}

function refersTo(target: string, v: unknown): boolean {
  if (typeof v === "string") return v.startsWith(target);
  if (Array.isArray(v)) return v.some((x) => refersTo(target, x));
  if (isObj(v)) return Object.values(v).some((x) => refersTo(target, x));
  return false;
}

/**
 * The largest group of calls linked by "$id." references (at least `minSize` new calls besides
 * the context), renumbered after the context's ids (DiGiT's
 * extract_largest_connected_component).
 *
 * @example
 * largestConnected([a, b], []) // [a, b] when b's arguments reference "$1.x"
 */
export function largestConnected(calls: CallDict[], context: CallDict[], minSize = 2): CallDict[] {
  const all = [...context, ...calls];
  const ctxIds = new Set(context.map((c) => c.id));
  const graph = new Map(all.map((c) => [c.id, new Set<string | undefined>()]));
  for (const a of all) {
    for (const b of all) {
      if (a !== b && refersTo(`${b.id}.`, a.arguments)) {
        graph.get(a.id)!.add(b.id);
        graph.get(b.id)!.add(a.id);
      }
    }
  }
  const seen = new Set<string | undefined>();
  const comps: (string | undefined)[][] = [];
  for (const id of graph.keys()) {
    if (seen.has(id)) continue;
    const comp: (string | undefined)[] = [];
    const todo = [id];
    while (todo.length) {
      const n = todo.pop();
      if (seen.has(n)) continue;
      seen.add(n);
      comp.push(n);
      for (const m of graph.get(n) ?? []) if (!seen.has(m)) todo.push(m);
    }
    comps.push(comp);
  }
  const order = all.map((c) => c.id);
  const big = comps
    .map((c) => c.sort((x, y) => order.indexOf(x) - order.indexOf(y)))
    .filter((c) => c.filter((id) => !ctxIds.has(id)).length >= minSize)
    .reduce<(string | undefined)[]>((best, c) => (c.length > best.length ? c : best), []);
  const byId = new Map(all.map((c) => [c.id, c]));
  return renumber(
    big.filter((id) => !ctxIds.has(id)).map((id) => byId.get(id)!),
    [...ctxIds],
  );
}

/**
 * Renumber calls "$k", "$k+1", ... after the context's highest id, rewriting references.
 *
 * @example
 * renumber([{ name: "a", arguments: {}, id: "$7" }], ["$1"])[0].id // "$2"
 */
export function renumber(calls: CallDict[], contextIds: (string | undefined)[]): CallDict[] {
  const start =
    Math.max(0, ...contextIds.map((id) => Number(String(id).replace("$", "")) || 0)) + 1;
  const map = new Map<string, string>();
  for (const [i, c] of calls.entries()) map.set(String(c.id), `$${start + i}`);
  const sub = (v: unknown): unknown => {
    if (typeof v === "string") {
      for (const [from, to] of map)
        if (v === from || v.startsWith(`${from}.`)) return to + v.slice(from.length);
      return v;
    }
    if (Array.isArray(v)) return v.map(sub);
    if (isObj(v))
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [sub(k) as string, sub(x)]));
    return v;
  };
  return calls.map((c) => sub(c) as CallDict);
}

/**
 * The concrete argument values of calls (not "$" references, not booleans), distinct by text.
 *
 * @example
 * leaves([{ name: "a", arguments: { x: "Paris", y: "$1.id" } }]) // ["Paris"]
 */
export function leaves(calls: CallDict[]): unknown[] {
  const out = new Map<string, unknown>();
  for (const c of calls) {
    for (const v of Object.values(c.arguments ?? {})) {
      if (!((typeof v === "string" && v.startsWith("$")) || typeof v === "boolean"))
        out.set(String(v), v);
    }
  }
  return [...out.values()];
}

/**
 * Whether a plan is too plain: more than one call without concrete arguments, or every call's
 * concrete values contained in one call's (DiGiT's complexity and non-duplicate checks).
 *
 * @example
 * tooPlain([{ name: "a", arguments: {} }, { name: "b", arguments: {} }]) // true
 */
export function tooPlain(calls: CallDict[]): boolean {
  const sets = calls.map(
    (c) =>
      new Set(
        Object.values(c.arguments)
          .filter((v) => !(typeof v === "string" && v.startsWith("$")))
          .map(String),
      ),
  );
  if (sets.filter((s) => s.size === 0).length > 1) return true;
  const full = sets.filter((s) => s.size > 0);
  if (full.length <= 1) return false;
  const largest = full.reduce((a, b) => (b.size > a.size ? b : a));
  return full.every((s) => [...s].every((v) => largest.has(v)));
}

/**
 * Tools with their properties and order shuffled (to avoid position bias in prompts).
 *
 * @example
 * shuffleTools(tools, rng)
 */
export function shuffleTools(tools: Row[], rng: Random): Row[] {
  const shuffle = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(shuffle);
    if (!isObj(v)) return v;
    const out: Row = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] =
        k === "properties" && isObj(x)
          ? Object.fromEntries(
              rng
                .sample(Object.entries(x), Object.keys(x).length)
                .map(([pk, pv]) => [pk, shuffle(pv)]),
            )
          : shuffle(x);
    }
    return out;
  };
  return rng.sample(tools, tools.length).map((t) => shuffle(t) as Row);
}

/**
 * Ids of calls the user never sees: among calls others depend on, a random number of them taken
 * in dependency order (DiGiT's _split_tool_calls).
 *
 * @example
 * hiddenIds([a, b], rng) // ["$1"] when b uses a's output
 */
export function hiddenIds(calls: CallDict[], rng: Random): string[] {
  const deps = new Map(calls.map((c) => [String(c.id), new Set<string>()]));
  for (const a of calls) {
    const b = calls.find((x) => x !== a && refersTo(String(x.id), a.arguments));
    if (b) deps.get(String(a.id))!.add(String(b.id));
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const [, d] of deps) {
      for (const o of [...d])
        for (const x of deps.get(o) ?? [])
          if (!d.has(x)) {
            d.add(x);
            changed = true;
          }
    }
  }
  const needed = new Map([...deps].filter(([id]) => [...deps.values()].some((d) => d.has(id))));
  const hidden: string[] = [];
  const want = 1 + rng.int(Math.max(needed.size, 1));
  while (hidden.length < want) {
    const frontier = [...needed].filter(([, d]) => d.size === 0).map(([id]) => id);
    if (!frontier.length) break;
    const pick = rng.pick(frontier);
    hidden.push(pick);
    needed.delete(pick);
    for (const [, d] of needed) d.delete(pick);
  }
  return hidden;
}

/**
 * Normalise text for matching: letters, digits and spaces, lower-cased.
 *
 * @example
 * norm("Paris!") // "paris"
 */
export function norm(v: unknown): string {
  const s = String(v);
  const n = [...s]
    .filter((c) => /[\p{L}\p{N} ]/u.test(c))
    .join("")
    .toLowerCase();
  return n || s.toLowerCase();
}

/**
 * Word position of a value in a text (-1 when absent; the first or last match).
 *
 * @example
 * occurrence("Paris", "fly to paris", true) // 2
 */
export function occurrence(value: unknown, text: string, first: boolean): number {
  const words = text.split(/\s+/).filter(Boolean).map(norm);
  const find = (srch: string[]): number => {
    if (!srch.length || srch.length > words.length) return -1;
    let match = -1;
    let fallback = -1;
    for (let i = 0; i + srch.length <= words.length; i++) {
      if (srch.every((w, k) => words[i + k] === w)) match = first && match !== -1 ? match : i;
      if (words[i]!.startsWith(srch[0]!)) fallback = first && fallback !== -1 ? fallback : i;
    }
    return match !== -1 ? match : fallback;
  };
  const occ = (v: unknown): number => {
    if (Array.isArray(v) || isObj(v)) {
      const xs = Object.values(v as Row).map(occ);
      return xs.length ? Math.min(...xs) : -1;
    }
    return find(String(v).split(/\s+/).filter(Boolean).map(norm));
  };
  return occ(value);
}

/**
 * Kendall's tau-b (NaN when either side is constant or there are fewer than two pairs).
 *
 * @example
 * kendallTau([1, 2, 3], [3, 2, 1]) // -1
 */
export function kendallTau(x: number[], y: number[]): number {
  let c = 0;
  let d = 0;
  let tx = 0;
  let ty = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const a = Math.sign(x[i]! - x[j]!);
      const b = Math.sign(y[i]! - y[j]!);
      if (a === 0 && b === 0) continue;
      if (a === 0) tx++;
      else if (b === 0) ty++;
      else if (a === b) c++;
      else d++;
    }
  }
  const den = Math.sqrt((c + d + tx) * (c + d + ty));
  return den === 0 ? Number.NaN : (c - d) / den;
}

/**
 * DiGiT's correlation check on a first request with hidden calls: the arguments of the visible
 * calls must come before those of the hidden ones in the text (tau ≤ 0 by first and by last
 * occurrence); too few matchable arguments fail.
 *
 * @example
 * orderedLikePlan(plan, "Book the Ritz in Paris", hiddenSet) // true or false
 */
export function orderedLikePlan(plan: CallDict[], request: string, hidden: CallDict[]): boolean {
  const hiddenJson = new Set(hidden.map((h) => JSON.stringify(h)));
  const args: [number, unknown][] = [];
  for (const tc of plan) {
    for (const v of Object.values(tc.arguments ?? {})) {
      if (!(typeof v === "string" && v.startsWith("$")))
        args.push([hiddenJson.has(JSON.stringify(tc)) ? 0 : 1, v]);
    }
  }
  for (const first of [true, false]) {
    const occ = args.map(([, v]) => [occurrence(v, request, first), v] as const);
    const ok = new Set(
      occ
        .filter(([i, v]) => i !== -1 && !["true", "false"].includes(String(v).toLowerCase()))
        .map(([, v]) => v),
    );
    const xs = args.filter(([, v]) => ok.has(v)).map(([f]) => f);
    const ys = occ.filter(([, v]) => ok.has(v)).map(([i]) => i);
    const tau = kendallTau(xs, ys);
    if (Number.isNaN(tau) || tau > 0) return false;
  }
  return true;
}

/**
 * The text between the last `<tag>` and the next `</tag>` (the whole reply when absent).
 *
 * @example
 * between("x <a>hi</a>", "a") // "hi"
 */
export function between(text: string, tag: string): string {
  return text.split(`</${tag}>`)[0]!.split(`<${tag}>`).at(-1)!.trim();
}
