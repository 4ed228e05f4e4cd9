import { z } from "zod";
import { getPath, MISSING } from "../../paths.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { BlockConfig, BlockContext } from "../../block.js";
import { lmConfigSchema, LMProvider, type ChatMessage, type LMRequest, type LMResponse } from "../provider.js";

/**
 * A scripted, offline LLM for examples and tests (a test double: it does not think).
 *
 * It answers each request with the next entry of `responses` (cycling), rendered as a template:
 * `{{n}}` is the 1-based request number, `{{input}}` the prompt (the last message for chat),
 * `{{task_name}}` or any `{{field.path}}` a field of the caller's row. Requests are numbered in
 * the order they are sent, so answers are deterministic for a given run.
 *
 * @example
 * - name: generator
 *   type: mock
 *   model_id_or_path: mock
 *   responses:
 *     - "Question: What is the capital of country {{n}}?\nAnswer: City {{n}}"
 */
@registerBlock("mock")
export class MockLM extends LMProvider {
  static override configSchema = lmConfigSchema.extend({
    model_id_or_path: z.string().default("mock"),
    responses: z.array(z.string()).min(1).default(["This is mock response {{n}}."]),
    latency_ms: z.number().min(0).default(0),
  });
  protected static override defaultCallLimit = 64;

  private counter = 0;
  private readonly responses: string[];
  private readonly latency: number;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super({ model_id_or_path: "mock", ...config }, ctx);
    this.responses = (config.responses as string[] | undefined) ?? ["This is mock response {{n}}."];
    this.latency = Number(config.latency_ms ?? 0);
    this.claimConcurrency();
  }

  /** A private limiter: the mock has no credential to share. */
  protected credential(): undefined {
    return undefined;
  }

  protected async send(request: LMRequest): Promise<LMResponse> {
    const n = ++this.counter;
    if (this.latency > 0) await new Promise((r) => setTimeout(r, this.latency));
    const prompt = promptText(request.input);
    const count = Math.max(1, Number(request.params.n ?? 1));
    const outputs: (string | ChatMessage)[] = [];
    for (let k = 0; k < count; k++) {
      const template = this.responses[(n - 1 + k) % this.responses.length]!;
      const text = render(template, { n, input: prompt, row: request.row });
      outputs.push(request.method === "chat_completion" ? { role: "assistant", content: text } : text);
    }
    return { outputs, prompt_tokens: words(prompt), completion_tokens: outputs.reduce<number>((s, o) => s + words(typeof o === "string" ? o : String(o.content)), 0) };
  }
}

function promptText(input: string | ChatMessage[]): string {
  if (typeof input === "string") return input;
  const last = input[input.length - 1];
  return typeof last?.content === "string" ? last.content : JSON.stringify(last?.content ?? "");
}

function render(template: string, vars: { n: number; input: string; row: Record<string, unknown> }): string {
  return template.replace(/\{\{\s*([\w.[\]]+)\s*\}\}/g, (all, key: string) => {
    if (key === "n") return String(vars.n);
    if (key === "input") return vars.input;
    const value = getPath(vars.row, key.startsWith("row.") ? key.slice(4) : key, false);
    return value === MISSING ? all : typeof value === "string" ? value : JSON.stringify(value);
  });
}

const words = (s: string) => (s.match(/\S+/g) ?? []).length;
