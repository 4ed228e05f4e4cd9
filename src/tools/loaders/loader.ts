import type { z } from "zod";
import type { Tool } from "../types.js";

/**
 * What a loader may use besides its own config.
 *
 * @example
 * const ctx: LoaderContext = { where: "task.yaml tools.registry[0]" };
 */
export interface LoaderContext {
  /** Where the entry is (for error messages). */
  where: string;
}

/**
 * A source of tools (`tools.registry[].type`).
 *
 * @example
 * const loader: ToolLoader = { load: async () => [] };
 */
export interface ToolLoader {
  load(): Promise<Tool[]>;
}

/**
 * How a loader type is declared: its config schema (without `type`, `engine`) and a factory.
 *
 * @example
 * defineLoader({ schema: z.object({ tools: z.array(z.unknown()) }), create: (c) => ... })
 */
export interface LoaderDefinition<S extends z.ZodObject = z.ZodObject> {
  schema: S;
  create(config: z.infer<S>, ctx: LoaderContext): ToolLoader;
}

/**
 * Type a loader definition (keeps the config type of `create` tied to the schema).
 *
 * @example
 * export const inlineLoader = defineLoader({ schema, create: (c) => ({ load: async () => [] }) });
 */
export function defineLoader<S extends z.ZodObject>(d: LoaderDefinition<S>): LoaderDefinition {
  return d as unknown as LoaderDefinition;
}
