import { z } from "zod";
import { parseJsonLoose } from "../../util/json-loose.js";
import { checkSchema } from "../../util/json-schema.js";
import type { Row } from "../../util/mapping.js";
import { isObj } from "../../util/mapping.js";
import { lmCandidates } from "../lm-candidates.js";
import { exampleValue } from "../schema-example.js";
import { qualifiedName, type Tool } from "../types.js";
import { cacheFingerprint, enrichmentCachePath, loadCache, saveCache } from "./cache.js";
import { defineEnrichment } from "./enrichment.js";

const schema = z.object({
  lm_config: z
    .looseObject({ type: z.string().min(1) })
    .describe("The LM block that infers output schemas"),
  force: z.boolean().default(false).describe("Ignore the cache"),
});

const SYSTEM = [
  "You describe what software tools return. Given a tool in OpenAI function-calling format,",
  "write a JSON Schema (type object, with properties) for the value it returns when it",
  "succeeds: its most important fields only, each with a type (string, integer, number,",
  "boolean, array or object) and a short description, no 'required' list and no error",
  "fields. Reply with the JSON Schema only.",
].join(" ");

/**
 * A schema from a reply: an object schema, one nested under a key, or a bare properties map.
 *
 * @example
 * schemaFromReply('{"id": {"type": "string"}}') // { type: "object", properties: { id: ... } }
 */
export function schemaFromReply(text: string): Row | undefined {
  const v = parseJsonLoose(text);
  if (!isObj(v)) return undefined;
  let s: Row | undefined;
  if ("properties" in v || v.type === "object") s = { type: "object", ...v };
  else {
    const inner = Object.values(v).find(
      (x) => isObj(x) && ("properties" in x || x.type === "object"),
    );
    if (isObj(inner)) s = { type: "object", ...inner };
    else if (Object.keys(v).length && Object.values(v).every(isObj))
      s = { type: "object", properties: v };
  }
  if (!s) return undefined;
  try {
    checkSchema(s, "inferred output_parameters");
    return s;
  } catch {
    return undefined;
  }
}

/**
 * `type: output_parameters`: an LLM infers the output schema of every tool that has none, once
 * per tool (cached by the tools' names, schemas and the model).
 */
export const outputParametersEnrichment = defineEnrichment({
  schema,
  create: async (c, ctx) => {
    const lm = await ctx.lm(c.lm_config, "output_parameters");
    return {
      // Fills the tools themselves; the name lets dataflow and embeddings run after it.
      artifact: "output_parameters",
      dependsOn: [],
      async enrich(registry) {
        const all = registry.all();
        const missing = all.filter((t) => Object.keys(t.output_parameters).length === 0);
        if (!missing.length) return;
        const fp = cacheFingerprint(
          all.map((t) => [qualifiedName(t), t.parameters]).sort(),
          String(c.lm_config.model_id_or_path ?? ""),
        );
        const path = enrichmentCachePath("output_parameters", fp);
        const cached = c.force ? {} : loadCache(path);
        for (const t of missing)
          if (isObj(cached[qualifiedName(t)]))
            t.output_parameters = cached[qualifiedName(t)] as Row;
        const todo = missing.filter((t) => Object.keys(t.output_parameters).length === 0);
        if (!todo.length) return;
        ctx.logger?.info(`output_parameters: inferring output schemas of ${todo.length} tool(s)`, {
          task_name: ctx.taskName,
        });
        const replies = await lmCandidates(
          lm,
          todo.map((t) => ({
            messages: [
              { role: "system", content: SYSTEM },
              {
                role: "user",
                content: `Tool specification:\n${openAiSpec(t)}\n\nWrite the JSON Schema of its output.`,
              },
            ],
            gen_kwargs: { response_format: { type: "json_object" } },
            row: { task_name: ctx.taskName, example_answer: JSON.stringify(guessSchema(t)) },
          })),
        );
        const fresh: Row = {};
        todo.forEach((t, i) => {
          const s = (replies[i] ?? []).map(schemaFromReply).find(Boolean);
          if (s) {
            t.output_parameters = s;
            fresh[qualifiedName(t)] = s;
          } else
            ctx.logger?.warn(`output_parameters: no usable schema for '${qualifiedName(t)}'`, {
              task_name: ctx.taskName,
            });
        });
        if (Object.keys(fresh).length) saveCache(path, fresh);
      },
    };
  },
});

function openAiSpec(t: Tool): string {
  return JSON.stringify(
    {
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.parameters },
    },
    null,
    2,
  );
}

/** A plausible output schema for the mock to answer with (`result` plus an id and a status). */
function guessSchema(t: Tool): Row {
  const base =
    t.name.replace(/^(get|fetch|find|search|list|create|update|delete)_?/i, "") || "result";
  const sample = exampleValue({ type: "string" }, t.name, base);
  return {
    type: "object",
    properties: {
      [`${base}_id`]: {
        type: "string",
        description: `Identifier of the ${base}, e.g. ${String(sample)}`,
      },
      status: { type: "string", description: "Outcome of the operation" },
      details: { type: "string", description: `Details of the ${base}` },
    },
  };
}
