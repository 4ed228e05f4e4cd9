import { z } from "zod";
import type { Row } from "../../util/mapping.js";
import { Random } from "../../util/random.js";
import type { ExecuteOptions, ToolEngine } from "../engines/engine.js";
import { failed } from "../engines/engine.js";
import type { ToolCall, ToolResult } from "../types.js";
import { documentToDict, type SearchDocument } from "./document.js";

/**
 * Keys every search engine takes (DiGiT's SearchToolEngine).
 *
 * @example
 * z.object({ ...searchKeys, path: z.string() })
 */
export const searchKeys = {
  relevance_threshold: z.number().optional().describe("Drop ranked hits scoring below this"),
  error_categories: z
    .array(
      z.object({
        type: z
          .string()
          .min(1)
          .describe("network_error, empty_result, unparseable_result, or any label"),
        probability: z.number().min(0).max(1),
        message: z.string().optional(),
      }),
    )
    .default([])
    .describe("Injected failures"),
};

/**
 * A document search engine. As a tool engine it answers calls whose arguments carry `query`
 * (and optionally `size` or `limit`) with a list of `{id, text, score?, metadata?}`; builders
 * (e.g. a RAG builder) can also call `search` and `corpus` directly.
 *
 * @example
 * const hits = await engine.search({ query: "water cycle" }, 3, new Random(1));
 * const result = await engine.execute("conv-1", [{ name: "search", namespace: "docs", arguments: { query: "rain" } }]);
 */
export abstract class SearchEngine implements ToolEngine {
  private readonly calls = new Map<string, number>();

  constructor(
    protected readonly base: {
      relevance_threshold?: number | undefined;
      error_categories: { type: string; probability: number; message?: string | undefined }[];
    },
    protected readonly defaultLimit: number,
  ) {}

  /**
   * The best `limit` documents for the call's arguments (`rng` for engines that draw).
   *
   * @example
   * await engine.search({ query: "photosynthesis" }, 5, rng)
   */
  abstract search(args: Row, limit: number, rng: Random): Promise<SearchDocument[]>;

  /**
   * Every document of the corpus (bounded engines only).
   *
   * @example
   * engine.corpus().length
   */
  abstract corpus(): SearchDocument[];

  setup(id: string): void {
    this.calls.set(id, 0);
  }

  teardown(id: string): void {
    this.calls.delete(id);
  }

  async execute(id: string, calls: ToolCall[], _options?: ExecuteOptions): Promise<ToolResult[]> {
    const start = this.calls.get(id) ?? 0;
    this.calls.set(id, start + calls.length);
    return this.answer(id, start, calls);
  }

  /**
   * What `execute` would answer now, without counting the calls: a later `execute` of the same
   * calls answers the same (same draws), as if the probe had not happened.
   */
  async simulate(id: string, calls: ToolCall[], _options?: ExecuteOptions): Promise<ToolResult[]> {
    return this.answer(id, this.calls.get(id) ?? 0, calls);
  }

  /** The answers of calls numbered start+1, start+2, … in the session. */
  private async answer(id: string, start: number, calls: ToolCall[]): Promise<ToolResult[]> {
    const out: ToolResult[] = [];
    for (const [i, call] of calls.entries()) {
      const n = start + i + 1;
      // Draws depend on the session and its call count only, so a seeded run repeats.
      const rng = new Random(`search:${id}:${n}`);
      const fired = this.base.error_categories.filter((c) => rng.next() < c.probability);
      if (fired.length) {
        const c = rng.pick(fired);
        if (c.type === "empty_result")
          out.push({ call_id: call.call_id ?? null, name: call.name, result: [] });
        else if (c.type === "unparseable_result")
          out.push({ call_id: call.call_id ?? null, name: call.name, result: "<garbled>" });
        else
          out.push(
            failed(
              call,
              c.message ??
                (c.type === "network_error"
                  ? "Connection timed out"
                  : `Simulated error: ${c.type}`),
            ),
          );
        continue;
      }
      const limit = Number(call.arguments.size ?? call.arguments.limit ?? this.defaultLimit);
      try {
        let docs = await this.search(
          call.arguments,
          Number.isFinite(limit) && limit > 0 ? limit : this.defaultLimit,
          rng,
        );
        const t = this.base.relevance_threshold;
        if (t !== undefined) docs = docs.filter((d) => d.score === undefined || d.score >= t);
        out.push({
          call_id: call.call_id ?? null,
          name: call.name,
          result: docs.map(documentToDict),
        });
      } catch (e) {
        out.push(failed(call, (e as Error).message));
      }
    }
    return out;
  }
}
