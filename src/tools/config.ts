import { z } from "zod";

const typed = z.looseObject({ type: z.string().min(1).describe("The type (see docs/tools.md)") });

/**
 * A `tools.registry` entry: a loader type, its keys, and the engine (a `tools.engines` name) that
 * executes its tools.
 *
 * @example
 * { type: file, path: data/tools.yaml, namespace: shop, engine: lm_simulator }
 */
export const registryEntrySchema = z.looseObject({
  type: z.string().min(1).describe("Loader: file, inline, mcp or rest"),
  namespace: z.string().min(1).optional().describe("Namespace of the loaded tools"),
  engine: z
    .string()
    .min(1)
    .optional()
    .describe("Name of the tools.engines entry that executes them"),
});

/**
 * The task's `tools:` section (DiGiT's): where tools come from, which engines execute them,
 * which enrichments run first. A bare list is the registry alone.
 *
 * @example
 * toolsSectionSchema.parse({ registry: [{ type: "inline", tools: [] }] })
 */
export const toolsSectionSchema = z.preprocess(
  (v) => (Array.isArray(v) ? { registry: v } : v),
  z.object({
    registry: z.array(registryEntrySchema).default([]).describe("Tool sources"),
    engines: z.record(z.string(), typed).default({}).describe("Engines by name"),
    enrichments: z.array(typed).default([]).describe("Enrichments, run in dependency order"),
  }),
);

/**
 * The parsed `tools:` section.
 *
 * @example
 * const section: ToolsSection = toolsSectionSchema.parse(task.tools);
 */
export type ToolsSection = z.infer<typeof toolsSectionSchema>;
