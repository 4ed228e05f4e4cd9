import { createHash } from "node:crypto";
import { z } from "zod";
import { registerBlock } from "../../../registry/decorators.js";
import { getPath, MISSING } from "../../../util/paths.js";
import type { BlockConfig, BlockContext } from "../../block.js";
import {
  type ChatMessage,
  LMProvider,
  type LMRequest,
  type LMResponse,
  lmConfigSchema,
} from "../provider.js";

const DEFAULT_RESPONSE = "This is mock response {{n}}.";

/** An assistant turn that calls tools (chat requests only); argument strings are templates. */
const toolAnswerSchema = z.object({
  content: z.string().nullable().default(null).describe("Text sent with the calls"),
  tool_calls: z
    .array(z.object({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()) }))
    .min(1)
    .describe("The calls, each {name, arguments}"),
});
type ToolAnswer = z.infer<typeof toolAnswerSchema>;
type Answer = string | ToolAnswer;

const matchedResponseSchema = z.object({
  match: z.string().refine(isRegExp, { message: "is not a valid regular expression" }),
  response: z.union([z.string(), toolAnswerSchema]),
  tools: z
    .boolean()
    .optional()
    .describe("Answer only requests that offer tools (true) or that offer none (false)"),
});
type MatchedResponse = z.infer<typeof matchedResponseSchema>;

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** The YAML keys of a `mock` block. */
const mockConfigSchema = lmConfigSchema.extend({
  model_id_or_path: z.string().default("mock").describe("Any name; the mock ignores it"),
  responses: z
    .array(z.union([z.string(), matchedResponseSchema]))
    .min(1)
    .default([DEFAULT_RESPONSE])
    .describe(
      "Answer templates ({{n}}: request number, hashed from the row's draw_key when the request has one; {{input}}: the prompt), or {match, response} entries",
    ),
  latency_ms: z.number().min(0).default(0).describe("Delay before each answer, in milliseconds"),
  jitter_ms: z
    .number()
    .min(0)
    .default(0)
    .describe(
      "Extra random delay before each answer, 0 to this many milliseconds (reorders answers; not seeded)",
    ),
});

/**
 * A scripted, offline LLM for examples and tests (a test double: it does not think).
 *
 * It answers each request with an entry of `responses`, rendered as a template: `{{n}}` is a
 * request number, `{{input}}` the prompt (the last message for chat), `{{task_name}}` or any
 * `{{field.path}}` a field of the caller's row.
 *
 * Which entry: an entry may be `{ match: <regular expression>, response: <template> }`. The
 * entries whose `match` finds the prompt answer it; a prompt no `match` finds is answered by the
 * plain entries. So a builder whose stages send different prompts gets each stage's kind of
 * answer whatever order its requests are sent in. An entry with `tools: true` answers only
 * requests that offer tools (`false`: only those that offer none), and its `response` may be a
 * tool-calling turn, `{content?, tool_calls: [{name, arguments}]}`, for chat requests.
 *
 * Which number and which of the entries: a request whose row has a `draw_key` (builders pass the
 * input row's key, see `DataBuilder.rngFor`) is answered from the key, its prompt and how often
 * that key sent that prompt before: `{{n}}` is a number (1 to 10^9) hashed from them and the entry
 * is chosen by it, so the answer does not depend on arrival order and `--seed` runs repeat at any
 * concurrency. Without a key, requests are numbered 1, 2, ... as they arrive and the entries are
 * taken in turn.
 *
 * @example
 * - name: generator
 *   type: mock
 *   model_id_or_path: mock
 *   responses:
 *     - "Question: What is the capital of country {{n}}?\nAnswer: City {{n}}"
 */

@registerBlock("mock")
export class MockLM extends LMProvider<typeof mockConfigSchema> {
  static override configSchema = mockConfigSchema;
  protected static override defaultCallLimit = 64;
  /** Scripted answers cost nothing: not cached unless the block sets `cache`. */
  protected static override cachedByDefault = false;

  private counter = 0;
  private readonly plain: Answer[];
  private readonly matched: { match: RegExp; response: Answer; tools: boolean | undefined }[];
  /** How many requests each set of answering entries has served (keyed by their templates). */
  private readonly turns = new Map<string, number>();
  private readonly latency: number;
  private readonly jitter: number;
  /** How often each (draw key, prompt) was asked, for keyed requests (by digest). */
  private readonly asked = new Map<string, number>();

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    const { responses } = this.config;
    this.plain = responses.filter((r): r is string => typeof r === "string");
    this.matched = responses
      .filter((r): r is MatchedResponse => typeof r !== "string")
      .map((r) => ({ match: new RegExp(r.match), response: r.response, tools: r.tools }));
    if (this.plain.length === 0) this.plain.push(DEFAULT_RESPONSE);
    this.latency = this.config.latency_ms;
    this.jitter = this.config.jitter_ms;
    this.claimConcurrency();
  }

  /** A private limiter: the mock has no credential to share. */
  protected credential(): undefined {
    return undefined;
  }

  protected async send(request: LMRequest): Promise<LMResponse> {
    const prompt = promptText(request.input);
    const count = Math.max(1, Number(request.params.n ?? 1));
    const candidates = this.candidates(prompt, (request.tools?.length ?? 0) > 0);
    const drawKey = typeof request.row.draw_key === "string" ? request.row.draw_key : undefined;
    // Numbered before any await, so unkeyed requests are numbered in the order they were sent.
    const picks =
      drawKey === undefined ? this.inTurn(candidates, count) : this.byKey(drawKey, prompt, count);
    const delay = this.latency + (this.jitter > 0 ? Math.random() * this.jitter : 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    const outputs: (string | ChatMessage)[] = [];
    for (const { n, turn } of picks) {
      const template = candidates[turn % candidates.length]!;
      const vars = { n, input: prompt, row: request.row };
      if (typeof template !== "string" && request.method === "chat_completion") {
        outputs.push(toolTurn(template, vars, outputs.length));
        continue;
      }
      const text = render(typeof template === "string" ? template : (template.content ?? ""), vars);
      outputs.push(
        request.method === "chat_completion" ? { role: "assistant", content: text } : text,
      );
    }
    return {
      outputs,
      prompt_tokens: words(prompt),
      completion_tokens: outputs.reduce<number>(
        (s, o) => s + words(typeof o === "string" ? o : String(o.content)),
        0,
      ),
    };
  }

  /** Unkeyed requests: numbered as they arrive, each set of entries taken in turn. */
  private inTurn(candidates: Answer[], count: number): { n: number; turn: number }[] {
    const n = ++this.counter;
    const key = candidates === this.plain ? "" : JSON.stringify(candidates);
    const turn = this.turns.get(key) ?? 0;
    this.turns.set(key, turn + count);
    return Array.from({ length: count }, (_, k) => ({ n, turn: turn + k }));
  }

  /** Keyed requests: number and entry hashed from the key, the prompt and its repeat count. */
  private byKey(drawKey: string, prompt: string, count: number): { n: number; turn: number }[] {
    const id = `${drawKey}\u0000${prompt}`;
    // Counted by a digest of (key, prompt), not the prompt itself: a long run asks many prompts.
    const seen = createHash("sha256").update(id).digest("base64");
    const before = this.asked.get(seen) ?? 0;
    this.asked.set(seen, before + 1);
    return Array.from({ length: count }, (_, k) => {
      const h = createHash("sha256").update(`${id}\u0000${before}\u0000${k}`).digest();
      return { n: 1 + (h.readUInt32LE(0) % 1_000_000_000), turn: h.readUInt32LE(4) };
    });
  }

  /** The templates that may answer this prompt: the matching entries, else the plain ones. */
  private candidates(prompt: string, offersTools: boolean): Answer[] {
    const hits = this.matched
      .filter((m) => (m.tools === undefined || m.tools === offersTools) && m.match.test(prompt))
      .map((m) => m.response);
    return hits.length ? hits : this.plain;
  }
}

function promptText(input: string | ChatMessage[]): string {
  if (typeof input === "string") return input;
  const last = input[input.length - 1];
  return typeof last?.content === "string" ? last.content : JSON.stringify(last?.content ?? "");
}

/** An assistant message calling the answer's tools, its argument strings rendered. */
function toolTurn(
  answer: ToolAnswer,
  vars: { n: number; input: string; row: Record<string, unknown> },
  index: number,
): ChatMessage {
  return {
    role: "assistant",
    content: answer.content === null ? null : render(answer.content, vars),
    tool_calls: answer.tool_calls.map((c, i) => ({
      id: `mock_call_${vars.n}_${index}_${i}`,
      type: "function",
      function: {
        name: c.name,
        arguments: Object.fromEntries(
          Object.entries(c.arguments).map(([k, v]) => [
            k,
            typeof v === "string" ? render(v, vars) : v,
          ]),
        ),
      },
    })),
  };
}

function render(
  template: string,
  vars: { n: number; input: string; row: Record<string, unknown> },
): string {
  return template.replace(/\{\{\s*([\w.[\]]+)\s*\}\}/g, (all, key: string) => {
    if (key === "n") return String(vars.n);
    if (key === "input") return vars.input;
    const value = getPath(vars.row, key.startsWith("row.") ? key.slice(4) : key, false);
    return value === MISSING ? all : typeof value === "string" ? value : JSON.stringify(value);
  });
}

const words = (s: string) => (s.match(/\S+/g) ?? []).length;
