import OpenAI from "openai";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import { isObj } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext } from "../../block.js";
import type { BatchApi } from "../batch/api.js";
import { batchOptionsSchema } from "../batch/config.js";
import type { BatchRequest } from "../batch/execution.js";
import { choicesByPrompt, splitEvenly } from "../batch.js";
import { requireApiKey } from "../credentials.js";
import { toAssistantMessage } from "../messages.js";
import type { ParamSpec } from "../params.js";
import type { Credential } from "../pool.js";
import {
  type ChatMessage,
  type LMBatchRequest,
  type LMMethod,
  LMProvider,
  type LMRequest,
  type LMResponse,
} from "../provider.js";
import { classifyFailure, type Failure, malformedResponse } from "../retry.js";
import { OpenAIBatchApi } from "./batch-api.js";

/** OpenAI's generation parameters (DiGiT's table, plus `max_new_tokens` accepted everywhere). */
export const OPENAI_PARAMS: Record<LMMethod, ParamSpec> = {
  completion: {
    known: [
      "max_tokens",
      "n",
      "seed",
      "stop",
      "top_p",
      "temperature",
      "echo",
      "logprobs",
      "presence_penalty",
      "frequency_penalty",
      "logit_bias",
      "skip_special_tokens",
      "spaces_between_special_tokens",
      "extra_body",
    ],
    aliases: { max_tokens: ["max_new_tokens", "max_completion_tokens"], stop: ["stop_sequences"] },
    accepted: ["max_length"],
  },
  chat_completion: {
    known: [
      "max_completion_tokens",
      "n",
      "seed",
      "stop",
      "top_p",
      "temperature",
      "logit_bias",
      "logprobs",
      "top_logprobs",
      "frequency_penalty",
      "presence_penalty",
      "response_format",
      "extra_body",
      "reasoning_effort",
    ],
    aliases: { max_completion_tokens: ["max_tokens", "max_new_tokens"], stop: ["stop_sequences"] },
    accepted: ["max_length"],
  },
};

/**
 * OpenAI and any OpenAI-compatible endpoint (`base_url`, e.g. a vLLM server, LiteLLM, the fake
 * LLM server). Key from `api_key` or `OPENAI_API_KEY`; for a local endpoint any non-empty value
 * works. Completion rows with identical parameters go up to `batch_size` (default 10, as DiGiT)
 * prompts per `/v1/completions` request; chat is one request per row. The SDK's own retries are
 * off (our policy retries).
 *
 * @example
 * - name: generator
 *   type: openai
 *   model_id_or_path: gpt-4o-mini
 *   call_limit: 64
 *   batch_size: 10
 *   max_tokens: 256
 */
@registerBlock("openai", "vllm-remote")
export class OpenAIProvider extends LMProvider {
  protected static override paramSpecs = OPENAI_PARAMS;
  protected static override defaultBatchSize = 10;
  protected static override hasBatchApi = true;
  /** The URL each batch line names, per method (Azure's differ). */
  protected static batchUrls: Readonly<Record<LMMethod, string>> = {
    completion: "/v1/completions",
    chat_completion: "/v1/chat/completions",
  };
  /** Environment variables that may hold the key, in order. */
  protected static apiKeyEnv: readonly string[] = ["OPENAI_API_KEY"];

  protected readonly apiKey: string;
  private clientInstance: OpenAI | undefined;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    this.apiKey = this.resolveApiKey();
    this.claimConcurrency();
  }

  /** The key (constructor time; throws a ConfigError naming the variable when missing). */
  protected resolveApiKey(): string {
    return requireApiKey(this.config, (this.constructor as typeof OpenAIProvider).apiKeyEnv);
  }

  protected endpoint(): string {
    return this.config.base_url || (process.env.OPENAI_BASE_URL ?? "https://api.openai.com/v1");
  }

  protected credential(): Credential {
    return { secret: this.apiKey, endpoint: this.endpoint() };
  }

  /** The SDK client (created on first use). */
  protected get client(): OpenAI {
    this.clientInstance ??= this.createClient();
    return this.clientInstance;
  }

  protected createClient(): OpenAI {
    return new OpenAI({
      apiKey: this.apiKey,
      baseURL: this.endpoint(),
      ...this.sdkClientOptions(),
    });
  }

  protected override classify(e: unknown, timedOut: boolean): Failure {
    if (!timedOut && e instanceof OpenAI.APIConnectionTimeoutError)
      return { kind: "timeout", retryable: true, message: e.message };
    if (
      !timedOut &&
      e instanceof OpenAI.APIConnectionError &&
      !(e instanceof OpenAI.APIUserAbortError)
    ) {
      const f = classifyFailure(e.cause ?? e, false);
      return {
        kind: "connection",
        retryable: true,
        message: f.message === "" ? e.message : `${e.message} ${f.message}`,
      };
    }
    return classifyFailure(e, timedOut);
  }

  protected override batchApi(method: LMMethod): BatchApi {
    const url = (this.constructor as typeof OpenAIProvider).batchUrls[method];
    return new OpenAIBatchApi(
      this.client,
      url,
      this.type,
      batchOptionsSchema.parse(this.config.batch).completion_window,
    );
  }

  protected override batchBody(request: BatchRequest): Row {
    return request.method === "completion"
      ? this.completionBody(request.input as string, request.params)
      : this.chatBody(request);
  }

  protected override batchAnswer(body: unknown, request: BatchRequest): LMResponse {
    if (!body || typeof body !== "object")
      throw malformedResponse("the batch's answer is not an object");
    if (request.method === "completion")
      return this.readCompletion(body as OpenAI.Completion, 1, request.params)[0]!;
    return this.readChat(body as OpenAI.ChatCompletion);
  }

  protected override supportsBatch(method: LMMethod): boolean {
    return method === "completion";
  }

  protected override sendBatch(request: LMBatchRequest): Promise<LMResponse[]> {
    return this.complete(request.inputs, request.inputs.length, request.params, request.signal);
  }

  /**
   * One `/v1/completions` request for one prompt or a list of `count` prompts: the choices go back
   * to their prompts by index (n per prompt) and the usage is split over the prompts.
   */
  private async complete(
    prompt: string | string[],
    count: number,
    sent: Row,
    signal: AbortSignal,
  ): Promise<LMResponse[]> {
    const body = this.completionBody(
      prompt,
      sent,
    ) as unknown as OpenAI.CompletionCreateParamsNonStreaming;
    const res = await this.client.completions.create(body, { signal });
    return this.readCompletion(res, count, sent);
  }

  /** The `/v1/completions` body for one prompt or a list. */
  private completionBody(prompt: string | string[], sent: Row): Row {
    const { extra_body, ...params } = sent;
    const extra = isObj(extra_body) ? extra_body : {};
    return { model: this.modelId, prompt, ...params, ...extra };
  }

  /** A `/v1/completions` answer for `count` prompts, per prompt. */
  private readCompletion(res: OpenAI.Completion, count: number, sent: Row): LMResponse[] {
    const perPrompt = choicesByPrompt(res.choices ?? [], count, Number(sent.n ?? 1));
    const promptTokens = splitEvenly(res.usage?.prompt_tokens, count);
    const completionTokens = splitEvenly(res.usage?.completion_tokens, count);
    return perPrompt.map((choices, i) => {
      const logprobs = choices.flatMap((c) => c.logprobs?.token_logprobs ?? []);
      return {
        outputs: choices.map((c) => {
          if (typeof c?.text !== "string")
            throw malformedResponse(`choice ${String(c?.index)} has no text`);
          return c.text;
        }),
        prompt_tokens: promptTokens[i],
        completion_tokens: completionTokens[i],
        extra: logprobs.length ? { token_logprobs: logprobs } : undefined,
      };
    });
  }

  protected async send(request: LMRequest): Promise<LMResponse> {
    if (request.method === "completion")
      return (await this.complete(request.input as string, 1, request.params, request.signal))[0]!;
    const body = this.chatBody(request) as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    return this.readChat(
      await this.client.chat.completions.create(body, { signal: request.signal }),
    );
  }

  /** The `/v1/chat/completions` body of a request. */
  private chatBody(request: BatchRequest): Row {
    const { extra_body, ...params } = request.params;
    const extra = isObj(extra_body) ? extra_body : {};
    if (typeof params.logprobs === "number") {
      params.top_logprobs ??= params.logprobs;
      params.logprobs = true;
    } else if (params.logprobs === true && params.top_logprobs === undefined)
      params.top_logprobs = 1;
    const tools = request.tools?.length
      ? { tools: request.tools, tool_choice: request.tool_choice ?? "auto" }
      : {};
    return {
      model: this.modelId,
      messages: request.input as ChatMessage[],
      ...tools,
      ...params,
      ...extra,
    };
  }

  /** A `/v1/chat/completions` answer as a response (throws on a malformed one). */
  private readChat(res: OpenAI.ChatCompletion): LMResponse {
    if (!Array.isArray(res.choices) || res.choices.length === 0)
      throw malformedResponse("the endpoint returned no choices");
    if (res.choices.some((c) => typeof c?.message !== "object" || c.message === null))
      throw malformedResponse("a choice of the answer has no message");
    const choices = [...res.choices].sort((a, b) => a.index - b.index);
    const logprobs = choices.flatMap((c) => c.logprobs?.content?.map((t) => t.logprob) ?? []);
    return {
      outputs: choices.map((c) =>
        toAssistantMessage(c.message as unknown as Parameters<typeof toAssistantMessage>[0]),
      ),
      prompt_tokens: res.usage?.prompt_tokens,
      completion_tokens: res.usage?.completion_tokens,
      extra: logprobs.length ? { token_logprobs: logprobs } : undefined,
    };
  }
}
