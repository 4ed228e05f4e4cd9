/** Child nodes `h` accepts: nodes, text, or nothing. */
export type Child = Node | string | number | false | null | undefined;

/**
 * Create an element with attributes (`on*` functions become listeners) and children.
 *
 * @example
 * h("button", { class: "primary", onclick: () => alert("hi") }, "Say hi")
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | ((e: Event) => void) | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === "number" ? String(c) : c);
  return el;
}

/** Thousands separators: 1234567 → "1,234,567". */
export const fmt = (n: unknown): string => (typeof n === "number" ? n.toLocaleString("en-US", { maximumFractionDigits: 4 }) : n === undefined || n === null ? "–" : String(n));

/** A value as one line of text for a table cell, cut to `max` characters. */
export function cellText(v: unknown, max = 120): string {
  const s = typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
