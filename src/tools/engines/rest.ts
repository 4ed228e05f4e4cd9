import { z } from "zod";
import { isObj } from "../../util/mapping.js";
import { qualifiedName, type ToolCall, type ToolResult } from "../types.js";
import { defineEngine, type EngineContext, failed, type ToolEngine } from "./engine.js";

const schema = z.object({
  bearer_token: z.string().optional().describe("Sent as 'Authorization: Bearer <token>'"),
  api_key: z
    .object({
      name: z.string().min(1),
      value: z.string(),
      location: z.enum(["header", "query"]).default("header"),
    })
    .optional()
    .describe("An API key header or query parameter"),
  headers: z.record(z.string(), z.string()).default({}).describe("Extra headers"),
  timeout: z.number().positive().default(30).describe("Seconds per request"),
});

/**
 * `type: rest`: real HTTP calls of operations the `rest` loader read from an OpenAPI document:
 * path arguments fill the URL template, query arguments the query string, body arguments a JSON
 * body. A JSON answer is the result (else its text); an HTTP error status, a timeout or a
 * refused connection is an error result.
 */
export class RestToolEngine implements ToolEngine {
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
   * to leave unchanged here; the calls do reach the API, and what they change there stays.
   */
  async simulate(id: string, calls: ToolCall[]): Promise<ToolResult[]> {
    return this.execute(id, calls);
  }

  private async one(call: ToolCall): Promise<ToolResult> {
    const tool = this.ctx.registry.match(call, this.ctx.namespaces);
    if (!tool) return failed(call, `Unknown tool '${qualifiedName(call)}'`);
    const m = tool.metadata;
    if (typeof m.rest_base_url !== "string" || !m.rest_base_url)
      return failed(
        call,
        `tool '${qualifiedName(call)}' has no rest_base_url (load it with a tools.registry entry of type rest)`,
      );
    const locations = (isObj(m.rest_param_locations) ? m.rest_param_locations : {}) as Record<
      string,
      string
    >;
    let missing: string | undefined;
    const path = String(m.rest_path ?? "").replace(/\{([^}]+)\}/g, (_all, name: string) => {
      const v = call.arguments[name];
      if (v === undefined) missing ??= name;
      return encodeURIComponent(String(v));
    });
    if (missing) return failed(call, `Missing required path parameter: '${missing}'`);
    const url = new URL(`${m.rest_base_url}${path}`);
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(call.arguments)) {
      const loc = locations[k] ?? "query";
      if (loc === "query") url.searchParams.set(k, typeof v === "string" ? v : JSON.stringify(v));
      else if (loc === "body") body[k] = v;
    }
    const headers: Record<string, string> = { ...this.c.headers };
    if (this.c.bearer_token) headers.authorization = `Bearer ${this.c.bearer_token}`;
    if (this.c.api_key?.location === "query")
      url.searchParams.set(this.c.api_key.name, this.c.api_key.value);
    else if (this.c.api_key) headers[this.c.api_key.name] = this.c.api_key.value;
    const hasBody = Object.keys(body).length > 0;
    if (hasBody) headers["content-type"] = "application/json";
    try {
      const res = await fetch(url, {
        method: String(m.rest_method ?? "GET"),
        headers,
        ...(hasBody ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.c.timeout * 1000),
      });
      const text = await res.text();
      if (!res.ok) return failed(call, `HTTP ${res.status}: ${text.slice(0, 200)}`);
      try {
        return {
          call_id: call.call_id ?? null,
          name: call.name,
          result: JSON.parse(text) as unknown,
        };
      } catch {
        return { call_id: call.call_id ?? null, name: call.name, result: text };
      }
    } catch (e) {
      const err = e as Error;
      return failed(
        call,
        err.name === "TimeoutError"
          ? `timed out after ${this.c.timeout} s`
          : `request failed: ${err.message}`,
      );
    }
  }
}

/** `type: rest` engine. */
export const restEngine = defineEngine({
  schema,
  create: async (c, ctx) => new RestToolEngine(c, ctx),
});
