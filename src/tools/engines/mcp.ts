import { z } from "zod";
import { mcpConnectionById, serverUnreachable } from "../mcp/connection.js";
import { qualifiedName, type ToolCall, type ToolResult } from "../types.js";
import { defineEngine, type EngineContext, failed, type ToolEngine } from "./engine.js";

const schema = z.object({
  timeout: z.number().positive().default(30).describe("Seconds a call may take before it fails"),
  call_limit: z.number().int().min(1).default(8).describe("Calls in flight per server"),
});

/**
 * `type: mcp`: real calls through the official MCP SDK, on the connection the `mcp` loader
 * opened for the tool's server. A call that errors, times out, or whose server went away
 * becomes an error result naming the server (marked `unreachable` when the server went away or
 * could not be reached: the record it served fails, the run goes on).
 */
export class McpToolEngine implements ToolEngine {
  constructor(
    private readonly c: z.infer<typeof schema>,
    private readonly ctx: EngineContext,
  ) {}

  setup(): void {}

  teardown(): void {}

  async execute(_id: string, calls: ToolCall[]): Promise<ToolResult[]> {
    return Promise.all(calls.map((call) => this.one(call)));
  }

  /**
   * The same as `execute` (DiGiT's): this engine keeps no session state, so there is nothing
   * to leave unchanged here; the calls do reach the MCP server, and what they change there stays.
   */
  async simulate(id: string, calls: ToolCall[]): Promise<ToolResult[]> {
    return this.execute(id, calls);
  }

  private async one(call: ToolCall): Promise<ToolResult> {
    const tool = this.ctx.registry.match(call, this.ctx.namespaces);
    if (!tool) return failed(call, `Unknown tool '${qualifiedName(call)}'`);
    const conn =
      typeof tool.metadata.mcp_server === "string"
        ? mcpConnectionById(tool.metadata.mcp_server)
        : undefined;
    if (!conn)
      return failed(
        call,
        `tool '${qualifiedName(call)}' was not loaded from an MCP server (use a tools.registry entry of type mcp)`,
      );
    conn.callLimit = this.c.call_limit;
    try {
      return {
        call_id: call.call_id ?? null,
        name: call.name,
        result: await conn.call(tool.name, call.arguments, this.c.timeout * 1000),
      };
    } catch (e) {
      const out = failed(call, `MCP server '${conn.label}': ${(e as Error).message}`);
      return serverUnreachable(e) ? { ...out, unreachable: true } : out;
    }
  }
}

/** `type: mcp` engine. */
export const mcpEngine = defineEngine({
  schema,
  create: async (c, ctx) => new McpToolEngine(c, ctx),
});
