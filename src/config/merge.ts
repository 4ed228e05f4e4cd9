import { isObj, type Obj } from "../util/mapping.js";
import { derivedFrom } from "./source-map.js";

const inherited = new WeakMap<object, ReadonlySet<string>>();

/**
 * Keys a block config kept from a base block of another `type` when an override switched its type
 * (DiGiT's deep merge keeps them and the new type ignores what it does not know).
 */
export function keysInheritedFromOtherType(block: object): ReadonlySet<string> {
  return inherited.get(block) ?? new Set();
}

/**
 * Recursive merge: mappings merge key by key, anything else (lists included) is replaced.
 * The result is derived from both sides, so errors still point at the right file and line.
 *
 * @example
 * deepMerge({ a: { b: 1, c: 2 } }, { a: { c: 3 } }) // { a: { b: 1, c: 3 } }
 */
export function deepMerge(base: Obj, override: Obj): Obj {
  const out: Obj = derivedFrom({ ...base }, override, base);
  for (const [k, v] of Object.entries(override)) {
    out[k] = isObj(out[k]) && isObj(v) ? deepMerge(out[k] as Obj, v) : v;
  }
  return out;
}

/**
 * DiGiT's `--config-path` merge of a builder config: each override block is
 * deep-merged into the first base block with the same `name`, or appended; other keys deep-merge
 * (mappings) or replace.
 *
 * @example
 * mergeBuilderConfig(builderYaml, { blocks: [{ name: "generator", type: "openai" }] })
 */
export function mergeBuilderConfig(base: Obj, override: Obj): Obj {
  const baseBlocks = Array.isArray(base.blocks) ? base.blocks : [];
  const out: Obj = derivedFrom(
    { ...base, blocks: derivedFrom([...baseBlocks], baseBlocks) },
    override,
    base,
  );
  for (const [k, v] of Object.entries(override)) {
    if (k === "blocks" && Array.isArray(v)) {
      const blocks = out.blocks as unknown[];
      for (const ob of v) {
        const i = isObj(ob) ? blocks.findIndex((b) => isObj(b) && b.name === ob.name) : -1;
        if (i >= 0) {
          const base = blocks[i] as Obj;
          const merged = deepMerge(base, ob as Obj);
          if (typeof (ob as Obj).type === "string" && (ob as Obj).type !== base.type) {
            inherited.set(merged, new Set(Object.keys(base).filter((k) => !(k in (ob as Obj)))));
          }
          blocks[i] = merged;
        } else blocks.push(ob);
      }
    } else {
      out[k] = isObj(out[k]) && isObj(v) ? deepMerge(out[k] as Obj, v) : v;
    }
  }
  return out;
}

/**
 * DiGiT's task override: a shallow merge where the override's top-level keys replace the task's,
 * and a `null` value removes the key.
 *
 * @example
 * mergeTaskOverride(task, { seed_examples: null, seed_datastore: { type: "default" } })
 */
export function mergeTaskOverride(base: Obj, override: Obj): Obj {
  const out: Obj = derivedFrom({ ...base }, override, base);
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
