import { suggestion } from "../../util/did-you-mean.js";
import type { ToolCall, ToolResult } from "../types.js";
import { type ExecuteOptions, failed, type ToolEngine } from "./engine.js";

/**
 * Routes each call to the engine of its namespace (DiGiT's CompositeToolEngine). A call in a
 * namespace no engine serves fails with the closest known namespace in its error.
 *
 * @example
 * const engine = new CompositeToolEngine(new Map([["math", lm], ["files", mcp]]));
 */
export class CompositeToolEngine implements ToolEngine {
  constructor(readonly byNamespace: ReadonlyMap<string, ToolEngine>) {}

  private distinct(): ToolEngine[] {
    return [...new Set(this.byNamespace.values())];
  }

  async setup(id: string): Promise<void> {
    for (const e of this.distinct()) await e.setup(id);
  }

  async teardown(id: string): Promise<void> {
    for (const e of this.distinct()) await e.teardown(id);
  }

  async execute(id: string, calls: ToolCall[], options?: ExecuteOptions): Promise<ToolResult[]> {
    const results: ToolResult[] = new Array<ToolResult>(calls.length);
    const buckets = new Map<ToolEngine, number[]>();
    calls.forEach((c, i) => {
      const engine = this.byNamespace.get(c.namespace);
      if (!engine) {
        const known = [...this.byNamespace.keys()];
        results[i] = failed(
          c,
          `no tool engine serves namespace '${c.namespace}' (${suggestion(c.namespace, known)})`,
        );
        return;
      }
      buckets.set(engine, [...(buckets.get(engine) ?? []), i]);
    });
    for (const [engine, idx] of buckets) {
      const out = await engine.execute(
        id,
        idx.map((i) => calls[i]!),
        options,
      );
      for (const [k, i] of idx.entries()) {
        results[i] = out[k] ?? failed(calls[i]!, "the engine returned no result");
      }
    }
    return results;
  }

  async close(): Promise<void> {
    for (const e of this.distinct()) await e.close?.();
  }
}
