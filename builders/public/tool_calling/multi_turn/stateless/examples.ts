import type { Row } from "digit-sdg";
import { propsOf } from "../../../../../src/tools/registry.js";
import { exampleValue } from "../../../../../src/tools/schema-example.js";
import type { Tool } from "../../../../../src/tools/types.js";
import { isObj } from "../../../../../src/util/mapping.js";
import { type CallDict, leaves } from "./calls.js";

// Well-formed answers made from the tools' schemas. Every stage sends one with its LM requests
// as the row field `example_answer`; the offline `mock` provider answers with it
// (`responses: ["{{example_answer}}"]`), real models never see it (it is not in the prompt).

const typeOf = (s: unknown) => String((isObj(s) ? s.type : undefined) ?? "string");

function argsFor(t: Tool, key: string, skip?: string): Row {
  const props = propsOf(t.parameters);
  const req = Array.isArray(t.parameters.required) ? (t.parameters.required as string[]) : [];
  const names = (req.length ? req : Object.keys(props).slice(0, 3)).filter(
    (n) => n !== skip && n in props,
  );
  return Object.fromEntries(names.map((n) => [n, exampleValue(props[n], `${key}:${t.name}`, n)]));
}

/**
 * A plan the checks accept: with `nested`, two calls where the second takes a field of the
 * first's output (types matching); else one call. Ids continue after the context's.
 *
 * @example
 * examplePlan(tools, [], true, "k") // [{ name: "a", ..., id: "$1" }, { ..., id: "$2" }]
 */
export function examplePlan(
  tools: Tool[],
  context: CallDict[],
  nested: boolean,
  key: string,
): CallDict[] {
  const start = Math.max(0, ...context.map((c) => Number(String(c.id).replace("$", "")) || 0)) + 1;
  const usable = tools.filter((t) => Object.keys(propsOf(t.parameters)).length > 0);
  if (nested) {
    for (const min of [2, 1]) {
      for (const a of usable) {
        const outs = Object.entries(propsOf(a.output_parameters));
        for (const b of usable) {
          if (b === a || Object.keys(propsOf(b.parameters)).length < min) continue;
          for (const [pname, pschema] of Object.entries(propsOf(b.parameters))) {
            const out = outs.find(
              ([, os]) =>
                typeOf(os) === typeOf(pschema) && !["object", "array"].includes(typeOf(os)),
            );
            if (!out) continue;
            const first: CallDict = { name: a.name, arguments: argsFor(a, key), id: `$${start}` };
            const second: CallDict = {
              name: b.name,
              arguments: { [pname]: `$${start}.${out[0]}`, ...argsFor(b, key, pname) },
              id: `$${start + 1}`,
            };
            return [first, second];
          }
        }
      }
    }
  }
  const t = usable[0] ?? tools[0];
  return t ? [{ name: t.name, arguments: argsFor(t, key), id: `$${start}` }] : [];
}

/**
 * A user request naming the visible calls' values first, then the hidden calls' values.
 *
 * @example
 * exampleRequest(plan, hidden) // "<request>Please take care of this: Paris, 3, then ...</request>"
 */
export function exampleRequest(plan: CallDict[], hidden: CallDict[]): string {
  const h = new Set(hidden.map((x) => JSON.stringify(x)));
  const say = (v: unknown) =>
    isObj(v) || Array.isArray(v) ? JSON.stringify(v).replace(/[{}[\]"]/g, " ") : String(v);
  const visible = leaves(plan.filter((c) => !h.has(JSON.stringify(c)))).map(say);
  const behind = leaves(plan.filter((c) => h.has(JSON.stringify(c)))).map(say);
  const parts = [visible.join(", "), behind.length ? `using ${behind.join(", ")}` : ""].filter(
    Boolean,
  );
  return `<request>Please take care of this for me: ${parts.join(" ")}.</request>`;
}

/**
 * Another valid call than the given ones: the first tool with fresh argument values.
 *
 * @example
 * exampleWrongCall(tools, "k") // '{"name": "a", "arguments": {...}}'
 */
export function exampleWrongCall(tools: Tool[], key: string): string {
  const t = tools.find((x) => Object.keys(propsOf(x.parameters)).length > 0) ?? tools[0];
  return t ? JSON.stringify({ name: t.name, arguments: argsFor(t, `${key}:wrong`) }) : "{}";
}
