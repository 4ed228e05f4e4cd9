import { createHash } from "node:crypto";
import { basename } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import {
  getDefaultEnvironment,
  StdioClientTransport,
} from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { ToolServerError } from "../../errors.js";
import { isObj } from "../../util/mapping.js";
import { sortedJson } from "../types.js";

/**
 * Where an MCP server is: a command started as a child process (stdio transport) or the URL of a
 * streamable HTTP endpoint (`base_url`, DiGiT's key).
 *
 * @example
 * { command: node, args: [tools-server.mjs] }   # or  { base_url: http://127.0.0.1:3001/mcp }
 */
export const mcpServerKeys = {
  command: z
    .string()
    .min(1)
    .optional()
    .describe("Start this program and talk MCP over its stdin/stdout"),
  args: z.array(z.string()).default([]).describe("Its arguments"),
  env: z.record(z.string(), z.string()).optional().describe("Extra environment variables for it"),
  cwd: z.string().optional().describe("Its working directory"),
  base_url: z
    .string()
    .url()
    .optional()
    .describe(
      "An HTTP MCP endpoint, e.g. http://127.0.0.1:3001/mcp (or .../sse with transport: sse)",
    ),
  transport: z
    .enum(["stdio", "streamable_http", "sse"])
    .optional()
    .describe(
      "stdio (with command), streamable_http (base_url's default) " +
        "or sse (the older HTTP+SSE transport)",
    ),
  headers: z
    .record(z.string(), z.string())
    .optional()
    .describe("HTTP headers sent to the endpoint"),
  bearer_token: z.string().optional().describe("Sent as 'Authorization: Bearer <token>'"),
  server_name: z
    .string()
    .min(1)
    .optional()
    .describe("Name of the server in messages and tool metadata"),
};

const specSchema = z.object(mcpServerKeys);
/**
 * A parsed server description.
 *
 * @example
 * const spec: McpServerSpec = { command: "node", args: ["server.mjs"] };
 */
export type McpServerSpec = z.input<typeof specSchema>;

/**
 * One connection (MCP session) to a server, shared by every loader and engine of the run that
 * names the same server. Calls beyond `callLimit` wait for a free slot. When the server goes
 * away, calls in flight fail and the next call connects again (a stdio server is restarted).
 *
 * @example
 * const c = mcpConnection({ command: "node", args: ["server.mjs"] });
 * const tools = await c.listTools(10_000);
 */
export class McpConnection {
  callLimit = 8;
  private client: Promise<Client> | undefined;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly label: string,
    private readonly spec: McpServerSpec,
  ) {}

  /** The connected client, connecting first if needed. */
  private async connected(timeoutMs: number): Promise<Client> {
    if (!this.client) {
      const attempt = this.open(timeoutMs);
      this.client = attempt;
      const forget = () => {
        if (this.client === attempt) this.client = undefined;
      };
      // A server that goes away is connected again on the next call.
      attempt.then((c) => (c.onclose = forget), forget);
    }
    return this.client;
  }

  private async open(timeoutMs: number): Promise<Client> {
    const s = this.spec;
    const client = new Client({ name: "digit", version: "1.0.0" });
    const requestInit = {
      headers: {
        ...(s.headers ?? {}),
        ...(s.bearer_token ? { authorization: `Bearer ${s.bearer_token}` } : {}),
      },
    };
    const transport = s.command
      ? new StdioClientTransport({
          command: s.command,
          args: s.args ?? [],
          env: { ...getDefaultEnvironment(), ...(s.env ?? {}) },
          ...(s.cwd ? { cwd: s.cwd } : {}),
          stderr: "ignore",
        })
      : s.transport === "sse"
        ? new SSEClientTransport(new URL(s.base_url!), { requestInit })
        : new StreamableHTTPClientTransport(new URL(s.base_url!), { requestInit });
    try {
      await client.connect(transport, { timeout: timeoutMs });
    } catch (e) {
      await client.close().catch(() => undefined);
      throw new ToolServerError(
        `MCP server '${this.label}' could not be reached: ${(e as Error).message}`,
        {
          hint: s.command
            ? `check that '${s.command} ${(s.args ?? []).join(" ")}' starts an MCP server on stdio`
            : "check base_url and that the server is running",
        },
      );
    }
    return client;
  }

  private async slot(): Promise<() => void> {
    if (this.active >= this.callLimit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    return () => {
      this.active--;
      this.waiting.shift()?.();
    };
  }

  /**
   * The server's tools (name, description, inputSchema, outputSchema).
   *
   * @example
   * (await connection.listTools(10_000)).map((t) => t.name)
   */
  async listTools(timeoutMs: number): Promise<
    {
      name: string;
      description?: string | undefined;
      inputSchema: unknown;
      outputSchema?: unknown;
    }[]
  > {
    const client = await this.connected(timeoutMs);
    const out: {
      name: string;
      description?: string | undefined;
      inputSchema: unknown;
      outputSchema?: unknown;
    }[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: timeoutMs });
      out.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  /**
   * Call a tool: its structured result, or the JSON object of its only text block, or its content
   * blocks; a tool error (`isError`) throws with the tool's text.
   *
   * @example
   * await connection.call("add", { a: 1, b: 2 }, 5_000) // { sum: 3 }
   */
  async call(name: string, args: Record<string, unknown>, timeoutMs: number): Promise<unknown> {
    const release = await this.slot();
    try {
      const client = await this.connected(timeoutMs);
      const r = await client.callTool({ name, arguments: args }, undefined, { timeout: timeoutMs });
      const blocks = Array.isArray(r.content)
        ? (r.content as { type: string; text?: string }[])
        : [];
      const texts = blocks.filter((b) => b.type === "text").map((b) => b.text ?? "");
      if (r.isError) throw new McpToolError(texts.join("\n") || "the tool reported an error");
      if (isObj(r.structuredContent)) return r.structuredContent;
      if (blocks.length === 1 && texts.length === 1) {
        try {
          const v: unknown = JSON.parse(texts[0]!);
          if (isObj(v)) return v;
        } catch {
          // not JSON: keep the blocks
        }
      }
      return blocks;
    } finally {
      release();
    }
  }

  /** Close the session (a stdio server process is stopped). */
  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await (await c.catch(() => undefined))?.close().catch(() => undefined);
  }
}

/**
 * The tool itself answered with an error (`isError`): the server is fine, the call was not.
 *
 * @example
 * if (e instanceof McpToolError) return failed(call, e.message);
 */
export class McpToolError extends Error {
  override readonly name = "McpToolError";
}

/**
 * Whether an error of `call` means the server could not be used (it went away, the connection
 * closed or failed, it could not be started), rather than the tool or the request failing.
 *
 * @example
 * const down = serverUnreachable(e);
 */
export function serverUnreachable(e: unknown): boolean {
  if (e instanceof McpToolError) return false;
  if (e instanceof McpError) return e.code === ErrorCode.ConnectionClosed;
  return true;
}

const CONNECTIONS = new Map<string, McpConnection>();

/**
 * The shared connection to a server (created on first use). Its id names the server without
 * secrets (label plus a hash of the whole description), so it can go into tool metadata.
 *
 * @example
 * const c = mcpConnection({ base_url: "http://127.0.0.1:3001/mcp" });
 */
export function mcpConnection(spec: McpServerSpec): McpConnection {
  const label =
    spec.server_name ??
    (spec.command
      ? [basename(spec.command), ...(spec.args ?? []).map((a) => basename(a))].join(" ")
      : new URL(spec.base_url!).host);
  const id = `${label}#${createHash("sha256").update(sortedJson(spec)).digest("hex").slice(0, 12)}`;
  let c = CONNECTIONS.get(id);
  if (!c) {
    c = new McpConnection(id, label, spec);
    CONNECTIONS.set(id, c);
  }
  return c;
}

/**
 * A connection by the id its tools carry in `metadata.mcp_server`.
 *
 * @example
 * mcpConnectionById(tool.metadata.mcp_server as string)
 */
export function mcpConnectionById(id: string): McpConnection | undefined {
  return CONNECTIONS.get(id);
}

/**
 * Close connections (stopping stdio servers) and forget them.
 *
 * @example
 * await closeMcpConnections(["tools-server.mjs#ab12cd34ef56"]);
 */
export async function closeMcpConnections(ids: Iterable<string>): Promise<void> {
  for (const id of ids) {
    const c = CONNECTIONS.get(id);
    CONNECTIONS.delete(id);
    await c?.close();
  }
}

/**
 * Check a server description: exactly one of `command` and `base_url`.
 *
 * @example
 * checkServerSpec({ command: "node" }, "tools.registry[0]")
 */
export function checkServerSpec(spec: McpServerSpec, where: string): void {
  if (!spec.command === !spec.base_url) {
    throw new ToolServerError(
      `${where}: give exactly one of 'command' (stdio server) and 'base_url' (HTTP endpoint)`,
    );
  }
  if (spec.command && spec.transport !== undefined && spec.transport !== "stdio")
    throw new ToolServerError(
      `${where}: transport '${spec.transport}' needs base_url; a command talks stdio`,
      { hint: "remove transport, or give base_url instead of command" },
    );
  if (spec.base_url && spec.transport === "stdio")
    throw new ToolServerError(`${where}: transport 'stdio' needs command, not base_url`, {
      hint: "use transport: streamable_http or sse with base_url",
    });
}

/**
 * The transport a server description uses.
 *
 * @example
 * transportOf({ base_url: "http://127.0.0.1:3001/sse", transport: "sse" }) // "sse"
 */
export function transportOf(spec: McpServerSpec): "stdio" | "streamable_http" | "sse" {
  return spec.command ? "stdio" : (spec.transport ?? "streamable_http");
}
