import { Ollama } from "ollama";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext } from "../../block.js";
import { optionalApiKey } from "../credentials.js";
import { lmFetch } from "../http.js";
import { parseArguments, toAssistantMessage } from "../messages.js";
import type { ParamSpec } from "../params.js";
import type { Credential } from "../pool.js";
import {
  type ChatMessage,
  type LMMethod,
  LMProvider,
  type LMRequest,
  type LMResponse,
} from "../provider.js";
import { malformedResponse } from "../retry.js";

const OPTIONS: ParamSpec = {
  known: [
    "num_predict",
    "num_ctx",
    "seed",
    "top_p",
    "top_k",
    "temperature",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
    "stop",
    "response_format",
  ],
  aliases: {
    num_predict: ["max_tokens", "max_new_tokens", "max_completion_tokens"],
    stop: ["stop_sequences"],
    repeat_penalty: ["repetition_penalty"],
  },
  accepted: ["max_length"],
};

/**
 * A local or remote Ollama daemon through its native API. Host from `base_url`, else
 * `OLLAMA_HOST`, else http://127.0.0.1:11434; each host has its own concurrency limit. Generation
 * parameters go in Ollama's `options` for both methods (DiGiT dropped them for completion);
 * `response_format` becomes `format`. `n > 1` sends `n` requests.
 *
 * @example
 * - name: generator
 *   type: ollama
 *   model_id_or_path: granite3.3:8b
 *   temperature: 0.7
 */
@registerBlock("ollama")
export class OllamaProvider extends LMProvider {
  protected static override paramSpecs: Record<LMMethod, ParamSpec> = {
    completion: OPTIONS,
    chat_completion: OPTIONS,
  };

  private readonly host: string;
  private readonly apiKey: string | undefined;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    this.host = ollamaHost(this.config.base_url, process.env.OLLAMA_HOST);
    this.apiKey = optionalApiKey(this.config, ["OLLAMA_API_KEY"]);
    this.claimConcurrency();
  }

  protected credential(): Credential {
    return { secret: this.apiKey ?? "ollama", endpoint: this.host };
  }

  protected override supportsN(): boolean {
    return false;
  }

  /** A client whose requests carry this request's signal (the library has no timeout of its own). */
  private client(signal: AbortSignal): Ollama {
    const headers: Record<string, string> = { ...this.config.default_headers };
    if (this.apiKey) headers.Authorization = `Bearer ${this.apiKey}`;
    return new Ollama({
      host: this.host,
      headers,
      fetch: (input, init) => lmFetch(input as string, { ...(init as RequestInit), signal }),
    });
  }

  protected async send(request: LMRequest): Promise<LMResponse> {
    const { response_format, ...options } = request.params;
    const format = toFormat(response_format);
    const client = this.client(request.signal);
    if (request.method === "completion") {
      const res = await client.generate({
        model: this.modelId,
        prompt: request.input as string,
        options,
        stream: false,
        ...(format ? { format } : {}),
      });
      if (typeof res.response !== "string")
        throw malformedResponse("the endpoint returned no response text");
      return {
        outputs: [res.response],
        prompt_tokens: res.prompt_eval_count,
        completion_tokens: res.eval_count,
      };
    }
    const messages = (request.input as ChatMessage[]).map(toOllamaMessage);
    const tools =
      request.tools?.length && request.tool_choice !== "none" ? { tools: request.tools } : {};
    const res = await client.chat({
      model: this.modelId,
      messages,
      options,
      stream: false,
      ...(format ? { format } : {}),
      ...tools,
    } as unknown as Parameters<Ollama["chat"]>[0] & { stream: false });
    if (!res.message) throw malformedResponse("the endpoint returned no message");
    return {
      outputs: [
        toAssistantMessage(res.message as unknown as Parameters<typeof toAssistantMessage>[0]),
      ],
      prompt_tokens: res.prompt_eval_count,
      completion_tokens: res.eval_count,
    };
  }
}

/** The daemon URL: config, else OLLAMA_HOST (which may lack a scheme or port), else the local default. */
export function ollamaHost(configured: unknown, env: string | undefined): string {
  const raw = (typeof configured === "string" && configured) || env || "http://127.0.0.1:11434";
  const withScheme = /^https?:\/\//.test(raw) ? raw : `http://${raw}`;
  return withScheme.replace(/\/+$/, "");
}

function toFormat(rf: unknown): string | object | undefined {
  const f = rf as { type?: string; json_schema?: { schema?: object } } | undefined;
  if (f?.type === "json_schema") return f.json_schema?.schema ?? "json";
  if (f?.type === "json_object") return "json";
  return undefined;
}

function toOllamaMessage(m: ChatMessage): Row {
  const out: Row = {
    role: m.role,
    content:
      typeof m.content === "string"
        ? m.content
        : m.content == null
          ? ""
          : JSON.stringify(m.content),
  };
  if (m.tool_calls?.length)
    out.tool_calls = m.tool_calls.map((c) => ({
      function: { name: c.function.name, arguments: parseArguments(c.function.arguments) },
    }));
  return out;
}
