import { suggestion } from "../../util/did-you-mean.js";
import type { ToolCall, ToolResult } from "../types.js";
import { type ExecuteOptions, failed, simulateCalls, type ToolEngine } from "./engine.js";

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

  execute(id: string, calls: ToolCall[], options?: ExecuteOptions): Promise<ToolResult[]> {
    return this.dispatch(calls, (e, c) => e.execute(id, c, options));
  }

  /** Each engine's `simulate` on its calls: no session of any engine changes. */
  simulate(id: string, calls: ToolCall[], options?: ExecuteOptions): Promise<ToolResult[]> {
    return this.dispatch(calls, (e, c) => simulateCalls(e, id, c, options));
  }

  private async dispatch(
    calls: ToolCall[],
    run: (engine: ToolEngine, calls: ToolCall[]) => Promise<ToolResult[]>,
  ): Promise<ToolResult[]> {
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
      const out = await run(
        engine,
        idx.map((i) => calls[i]!),
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
