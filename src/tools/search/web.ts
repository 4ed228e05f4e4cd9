import { z } from "zod";
import { NetworkRequiredError } from "../../errors.js";
import { defineEngine, type EngineDefinition } from "../engines/engine.js";
import { searchKeys } from "./engine.js";

/**
 * A web search engine of DiGiT (`search/web/duckduckgo`, `search/web/google_serper`): its
 * config is accepted (so DiGiT task files validate), building it fails with a
 * NetworkRequiredError, because digit does not call public web services.
 *
 * @example
 * export const duckduckgo = webSearchEngine("search/web/duckduckgo");
 */
export function webSearchEngine(type: string): EngineDefinition {
  return defineEngine({
    schema: z.object({
      ...searchKeys,
      limit: z.number().int().min(1).default(5).describe("Results per query"),
      content: z.array(z.string()).optional().describe("Result fields to keep (DiGiT's)"),
      serper_api_key: z.string().optional().describe("google_serper: API key"),
      gl: z.string().optional().describe("google_serper: country"),
      hl: z.string().optional().describe("google_serper: language"),
    }),
    create: async (_c, ctx) => {
      throw new NetworkRequiredError(`tool engine '${type}' (${ctx.where})`);
    },
  });
}
