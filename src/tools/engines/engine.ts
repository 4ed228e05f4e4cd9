import type { z } from "zod";
import type { Block } from "../../blocks/block.js";
import type { Logger } from "../../telemetry/logger.js";
import type { Row } from "../../util/mapping.js";
import type { EmbeddingsMeter } from "../embeddings/client.js";
import type { ToolRegistry } from "../registry.js";
import type { ToolCall, ToolResult } from "../types.js";

/**
 * Options of one `execute` call.
 *
 * @example
 * await engine.execute("conv-1", calls, { drawKey: row.draw_key, taskName: "t" })
 */
export interface ExecuteOptions {
  /** The conversation's draw key: LM engines pass it on, so mock answers repeat with the seed. */
  drawKey?: string | undefined;
  taskName?: string | undefined;
}

/**
 * Executes tool calls and returns one result per call, in order. Failures are results with
 * `error` set, never exceptions, so one bad call fails one conversation, not the run. A session
 * (one conversation) keeps whatever state the engine keeps between calls.
 *
 * @example
 * const [r] = await engine.execute("conv-1", [{ name: "add", namespace: "m", arguments: {} }]);
 */
export interface ToolEngine {
  setup(sessionId: string): void | Promise<void>;
  teardown(sessionId: string): void | Promise<void>;
  execute(sessionId: string, calls: ToolCall[], options?: ExecuteOptions): Promise<ToolResult[]>;
  /**
   * Results for the calls as `execute` would give them now, leaving the session as it was
   * (DiGiT's `simulate`): a stage can probe candidate calls, then commit one with `execute`.
   * Within the batch later calls see earlier results. Engines that keep no session state may
   * leave it out ({@link simulateCalls} then uses `execute`); real engines (mcp, rest) still
   * reach their server, so what the server itself does to its own state is not undone.
   */
  simulate?(sessionId: string, calls: ToolCall[], options?: ExecuteOptions): Promise<ToolResult[]>;
  /** Release connections and processes (end of the run). */
  close?(): Promise<void>;
}

/**
 * `engine.simulate`, or `execute` for an engine that keeps no session state and so has none.
 *
 * @example
 * const [probe] = await simulateCalls(engine, "conv-1", [call]);
 */
export function simulateCalls(
  engine: ToolEngine,
  sessionId: string,
  calls: ToolCall[],
  options?: ExecuteOptions,
): Promise<ToolResult[]> {
  return engine.simulate
    ? engine.simulate(sessionId, calls, options)
    : engine.execute(sessionId, calls, options);
}

/**
 * What an engine is built with besides its config.
 *
 * @example
 * const ctx: EngineContext = { registry, namespaces: ["math"], lm, logger: "t.yaml" };
 */
export interface EngineContext {
  registry: ToolRegistry;
  /** Namespaces routed to this engine (undefined: any). */
  namespaces: readonly string[] | undefined;
  /** Build an LM block from an `lm_config` mapping. */
  lm(config: Row, name: string): Promise<Block>;
  logger: Logger | undefined;
  where: string;
  /** Told of every embeddings request (the run counts them); absent outside a run. */
  embeddingsMeter?: EmbeddingsMeter | undefined;
}

/**
 * How an engine type is declared (`tools.engines.<name>.type`).
 *
 * @example
 * defineEngine({ schema: z.object({}), create: async (c, ctx) => new EchoEngine() })
 */
export interface EngineDefinition<S extends z.ZodObject = z.ZodObject> {
  schema: S;
  create(config: z.infer<S>, ctx: EngineContext): Promise<ToolEngine>;
}

/**
 * Type an engine definition (keeps the config type of `create` tied to the schema).
 *
 * @example
 * export const lmEngine = defineEngine({ schema, create: async (c, ctx) => new LmToolEngine(c, ctx) });
 */
export function defineEngine<S extends z.ZodObject>(d: EngineDefinition<S>): EngineDefinition {
  return d as unknown as EngineDefinition;
}

/**
 * A failed result for a call.
 *
 * @example
 * failed(call, "timed out after 5000 ms")
 */
export function failed(call: ToolCall, error: string): ToolResult {
  return { call_id: call.call_id ?? null, name: call.name, result: null, error };
}

/**
 * Per-session state with setup/teardown, shared by engines that keep history.
 *
 * @example
 * const sessions = new Sessions<Row[]>(() => []);
 */
export class Sessions<S> {
  private readonly states = new Map<string, S>();
  constructor(private readonly init: () => S) {}
  /** The state of a session, created on first use. */
  of(id: string): S {
    let s = this.states.get(id);
    if (s === undefined) {
      s = this.init();
      this.states.set(id, s);
    }
    return s;
  }
  /** The state of a session without creating it (a fresh state when there is none). */
  peek(id: string): S {
    return this.states.get(id) ?? this.init();
  }
  setup(id: string): void {
    this.states.set(id, this.init());
  }
  teardown(id: string): void {
    this.states.delete(id);
  }
}
