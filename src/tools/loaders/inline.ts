import { z } from "zod";
import { toolFromDict } from "../tool-dict.js";
import { DEFAULT_NAMESPACE } from "../types.js";
import { defineLoader } from "./loader.js";

const schema = z.object({
  tools: z.array(z.unknown()).describe("Tool definitions written in the task"),
  namespace: z.string().min(1).default(DEFAULT_NAMESPACE).describe("Namespace of these tools"),
});

/** `type: inline`: tools written in the task YAML (DiGiT's InlineToolLoader). */
export const inlineLoader = defineLoader({
  schema,
  create: (c, ctx) => ({
    load: async () => c.tools.map((d) => toolFromDict(d, c.namespace, ctx.where)),
  }),
});
