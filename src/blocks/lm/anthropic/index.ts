import Anthropic from "@anthropic-ai/sdk";
import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import { isObj } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext } from "../../block.js";
import type { BatchApi } from "../batch/api.js";
import type { BatchRequest } from "../batch/execution.js";
import { requireApiKey } from "../credentials.js";
import { parseArguments } from "../messages.js";
import type { ParamSpec } from "../params.js";
import type { Credential } from "../pool.js";
import {
  type ChatMessage,
  type LMMethod,
  LMProvider,
  type LMRequest,
  type LMResponse,
} from "../provider.js";
import { classifyFailure, type Failure, malformedResponse } from "../retry.js";
import { AnthropicBatchApi } from "./batch-api.js";

const CHAT: ParamSpec = {
  known: [
    "max_tokens",
    "stop_sequences",
    "temperature",
    "top_k",
    "top_p",
    "response_format",
    "output_config",
  ],
  aliases: {
    max_tokens: ["max_tokens_to_sample", "max_completion_tokens", "max_new_tokens"],
    stop_sequences: ["stop"],
  },
};

/**
 * Anthropic's Messages API (chat only: the completion API is retired). Key from `api_key` or
 * `ANTHROPIC_API_KEY`; `max_tokens` (or an alias) is required, as Anthropic requires it. System
 * messages become the `system` parameter; tools and tool calls are translated to and from
 * OpenAI's shape; `n > 1` sends `n` requests.
 *
 * @example
 * - name: generator
 *   type: anthropic
 *   model_id_or_path: claude-sonnet-4-5
 *   max_tokens: 1024
 */
@registerBlock("anthropic")
export class AnthropicProvider extends LMProvider {
  protected static override paramSpecs: Record<LMMethod, ParamSpec> = {
    completion: CHAT,
    chat_completion: CHAT,
  };
  protected static override methods: readonly LMMethod[] = ["chat_completion"];
  protected static override hasBatchApi = true;

  private readonly apiKey: string;
  private clientInstance: Anthropic | undefined;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    this.apiKey = requireApiKey(this.config, ["ANTHROPIC_API_KEY"]);
    if (
      ![
        this.config.max_tokens,
        this.config.max_tokens_to_sample,
        this.config.max_completion_tokens,
        this.config.max_new_tokens,
      ].some((v) => typeof v === "number")
    ) {
      throw new ConfigError(
        `block '${this.name}' (type anthropic): max_tokens is required by Anthropic`,
        { hint: "add max_tokens: 1024 (or another limit) to the block" },
      );
    }
    this.claimConcurrency();
  }

  private endpoint(): string {
    return this.config.base_url || (process.env.ANTHROPIC_BASE_URL ?? "https://api.anthropic.com");
  }

  protected credential(): Credential {
    return { secret: this.apiKey, endpoint: this.endpoint() };
  }

  private get client(): Anthropic {
    this.clientInstance ??= new Anthropic({
      apiKey: this.apiKey,
      baseURL: this.endpoint(),
      ...this.sdkClientOptions(),
    });
    return this.clientInstance;
  }

  protected override supportsN(): boolean {
    return false;
  }

  protected override classify(e: unknown, timedOut: boolean): Failure {
    if (!timedOut && e instanceof Anthropic.APIConnectionTimeoutError)
      return { kind: "timeout", retryable: true, message: e.message };
    if (
      !timedOut &&
      e instanceof Anthropic.APIConnectionError &&
      !(e instanceof Anthropic.APIUserAbortError)
    )
      return {
        kind: "connection",
        retryable: true,
        message: `${e.message} ${classifyFailure(e.cause ?? e).message}`,
      };
    return classifyFailure(e, timedOut);
  }

  protected async send(request: LMRequest): Promise<LMResponse> {
    const body = this.messageBody(request);
    return readMessage(
      await this.client.messages.create(
        body as unknown as Anthropic.MessageCreateParamsNonStreaming,
        { signal: request.signal },
      ),
    );
  }

  protected override batchApi(): BatchApi {
    return new AnthropicBatchApi(this.client);
  }

  protected override batchBody(request: BatchRequest): Row {
    return this.messageBody(request);
  }

  protected override batchAnswer(body: unknown): LMResponse {
    if (!body || typeof body !== "object")
      throw malformedResponse("the batch's answer is not an object");
    return readMessage(body as Anthropic.Message);
  }

  /** The Messages API body of a request. */
  private messageBody(request: BatchRequest): Row {
    const { response_format, output_config, ...params } = request.params;
    const { system, messages } = toAnthropicMessages(request.input as ChatMessage[]);
    const body: Row = { model: this.modelId, messages, ...params };
    if (system) body.system = system;
    const format = response_format as
      | { type?: string; json_schema?: { schema?: unknown } }
      | undefined;
    if (output_config || format?.type === "json_schema") {
      body.output_config = {
        ...(isObj(output_config) ? output_config : {}),
        ...(format?.type === "json_schema"
          ? { format: { type: "json_schema", schema: format.json_schema?.schema ?? {} } }
          : {}),
      };
    }
    if (request.tools?.length) {
      body.tools = request.tools.map(toAnthropicTool);
      body.tool_choice = toAnthropicToolChoice(request.tool_choice);
    }
    return body;
  }
}

/** A Messages API answer as a response (throws on a malformed one). */
function readMessage(res: Anthropic.Message): LMResponse {
  if (!Array.isArray(res.content)) throw malformedResponse("the endpoint returned no content");
  const text = res.content
    .filter((b) => b?.type === "text")
    .map((b) => (b as { text: string }).text);
  const toolUses = res.content.filter((b) => b?.type === "tool_use") as {
    id: string;
    name: string;
    input: unknown;
  }[];
  const message: ChatMessage = { role: "assistant" };
  if (text.length) message.content = text.join(" ");
  if (toolUses.length)
    message.tool_calls = toolUses.map((t) => ({
      id: t.id,
      type: "function",
      function: { name: t.name, arguments: t.input },
    }));
  return {
    outputs: [message],
    prompt_tokens: res.usage?.input_tokens,
    completion_tokens: res.usage?.output_tokens,
  };
}

/** Split OpenAI-shaped messages into Anthropic's `system` and `messages`. */
export function toAnthropicMessages(input: readonly ChatMessage[]): {
  system: string;
  messages: Row[];
} {
  const system: string[] = [];
  const messages: Row[] = [];
  for (const m of input) {
    if (m.role === "system" || m.role === "developer") {
      system.push(typeof m.content === "string" ? m.content : JSON.stringify(m.content));
    } else if (m.role === "tool") {
      messages.push({
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: String(m.tool_call_id ?? ""),
            content: typeof m.content === "string" ? m.content : JSON.stringify(m.content),
          },
        ],
      });
    } else if (m.role === "assistant" && m.tool_calls?.length) {
      const content: Row[] = [];
      if (typeof m.content === "string" && m.content)
        content.push({ type: "text", text: m.content });
      for (const c of m.tool_calls)
        content.push({
          type: "tool_use",
          id: c.id ?? c.function.name,
          name: c.function.name,
          input: parseArguments(c.function.arguments),
        });
      messages.push({ role: "assistant", content });
    } else {
      messages.push({ role: m.role, content: m.content ?? "" });
    }
  }
  return { system: system.join(" "), messages };
}

function toAnthropicTool(tool: unknown): unknown {
  const t = tool as {
    type?: string;
    function?: { name: string; description?: string; parameters?: unknown };
    input_schema?: unknown;
  };
  if (t.input_schema || !t.function) return tool;
  return {
    name: t.function.name,
    ...(t.function.description ? { description: t.function.description } : {}),
    input_schema: t.function.parameters ?? { type: "object", properties: {} },
  };
}

function toAnthropicToolChoice(choice: unknown): unknown {
  if (choice && typeof choice === "object") {
    const name = (choice as { function?: { name?: string } }).function?.name;
    if (name) return { type: "tool", name };
  }
  if (choice === "required") return { type: "any" };
  if (choice === "none") return { type: "none" };
  return { type: "auto" };
}
