import { z } from "zod";
import { checkServerSpec, mcpConnection, mcpServerKeys, transportOf } from "../mcp/connection.js";
import { toolFromDict } from "../tool-dict.js";
import { DEFAULT_NAMESPACE } from "../types.js";
import { defineLoader } from "./loader.js";

const schema = z.object({
  ...mcpServerKeys,
  namespace: z
    .string()
    .min(1)
    .default(DEFAULT_NAMESPACE)
    .describe("Namespace of the server's tools"),
  timeout: z.number().positive().default(10).describe("Seconds to connect and list the tools"),
});

/**
 * `type: mcp`: the tools an MCP server lists (input schema → parameters, output schema →
 * output_parameters). Each tool's metadata names the server (`mcp_server`, without secrets) so
 * the `mcp` engine calls it on the same connection.
 */
export const mcpLoader = defineLoader({
  schema,
  create: (c, ctx) => ({
    async load() {
      checkServerSpec(c, ctx.where);
      const conn = mcpConnection(c);
      const listed = await conn.listTools(c.timeout * 1000);
      return listed.map((t) =>
        toolFromDict(
          {
            name: t.name,
            description: t.description ?? "",
            parameters: t.inputSchema ?? {},
            output_parameters: t.outputSchema ?? {},
            metadata: { mcp_server: conn.id, mcp_transport: transportOf(c) },
          },
          c.namespace,
          `${ctx.where} (MCP server '${conn.label}')`,
        ),
      );
    },
  }),
});
