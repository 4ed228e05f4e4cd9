import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext } from "../../block.js";
import { lmFetch } from "../http.js";
import { toAssistantMessage } from "../messages.js";
import type { ParamSpec } from "../params.js";
import type { Credential } from "../pool.js";
import {
  type ChatMessage,
  type LMMethod,
  LMProvider,
  type LMRequest,
  type LMResponse,
  lmConfigSchema,
} from "../provider.js";
import { malformedResponse } from "../retry.js";
import { HttpStatusError, IamTokens } from "./iam.js";

const PARAMS: Record<LMMethod, ParamSpec> = {
  completion: {
    known: [
      "max_new_tokens",
      "min_new_tokens",
      "stop_sequences",
      "random_seed",
      "time_limit",
      "temperature",
      "top_p",
      "top_k",
      "repetition_penalty",
      "decoding_method",
    ],
    aliases: {
      max_new_tokens: ["max_tokens", "max_completion_tokens"],
      min_new_tokens: ["min_tokens"],
      stop_sequences: ["stop"],
      random_seed: ["seed"],
    },
    accepted: ["max_length"],
  },
  chat_completion: {
    known: [
      "max_tokens",
      "stop",
      "seed",
      "time_limit",
      "temperature",
      "top_p",
      "n",
      "response_format",
      "frequency_penalty",
      "presence_penalty",
      "logprobs",
      "top_logprobs",
    ],
    aliases: {
      max_tokens: ["max_new_tokens", "max_completion_tokens"],
      stop: ["stop_sequences"],
      seed: ["random_seed"],
    },
    accepted: ["max_length"],
  },
};

const TEXT_VERSION = "2023-05-29";
const CHAT_VERSION = "2024-10-08";

/** The YAML keys of a `watsonx` block. */
const watsonxConfigSchema = lmConfigSchema.extend({
  iam_url: z
    .string()
    .optional()
    .describe(
      "IBM Cloud IAM URL the API key is exchanged at (default WATSONX_IAM_URL or https://iam.cloud.ibm.com)",
    ),
});

/**
 * IBM watsonx.ai through its REST API: `text/generation` for completion, `text/chat` for chat.
 * Auth: `api_key` or `WATSONX_API_KEY` exchanged for an IAM token at `iam_url` (or
 * `WATSONX_IAM_URL`, default https://iam.cloud.ibm.com), or a ready token in `WATSONX_API_TOKEN`.
 * Project from `project_id` or `WATSONX_PROJECT_ID`; endpoint from `base_url` or
 * `WATSONX_API_URL` (default https://us-south.ml.cloud.ibm.com).
 *
 * @example
 * - name: generator
 *   type: watsonx
 *   model_id_or_path: ibm/granite-3-8b-instruct
 *   max_new_tokens: 512
 */
@registerBlock("watsonx")
export class WatsonxProvider extends LMProvider<typeof watsonxConfigSchema> {
  static override configSchema = watsonxConfigSchema;
  protected static override paramSpecs = PARAMS;

  private readonly apiKey: string | undefined;
  private readonly staticToken: string | undefined;
  private readonly projectId: string;
  private readonly baseUrl: string;
  private readonly tokens: IamTokens | undefined;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    const env = process.env;
    this.apiKey = this.config.api_key || env.WATSONX_API_KEY || undefined;
    this.staticToken = this.apiKey ? undefined : env.WATSONX_API_TOKEN || undefined;
    if (!this.apiKey && !this.staticToken) {
      throw new ConfigError(
        `block '${this.name}' (type watsonx): no API key: set WATSONX_API_KEY (or WATSONX_API_TOKEN) in the environment (or ./.env), or api_key in the block config`,
        { hint: "export WATSONX_API_KEY=<your IBM Cloud API key>" },
      );
    }
    const project = this.config.project_id || env.WATSONX_PROJECT_ID;
    if (!project)
      throw new ConfigError(
        `block '${this.name}' (type watsonx): no project: set WATSONX_PROJECT_ID in the environment, or project_id in the block config`,
        { hint: "export WATSONX_PROJECT_ID=<your watsonx project id>" },
      );
    this.projectId = project;
    this.baseUrl = (
      this.config.base_url ||
      env.WATSONX_API_URL ||
      "https://us-south.ml.cloud.ibm.com"
    ).replace(/\/+$/, "");
    const iamUrl = this.config.iam_url || env.WATSONX_IAM_URL || "https://iam.cloud.ibm.com";
    this.tokens = this.apiKey ? new IamTokens(iamUrl, this.apiKey) : undefined;
    this.claimConcurrency();
  }

  protected credential(): Credential {
    return { secret: this.staticToken ?? this.apiKey!, endpoint: this.baseUrl };
  }

  protected override secrets(): string[] {
    return [this.apiKey, this.staticToken, this.tokens?.current].filter((s): s is string => !!s);
  }

  protected override supportsN(method: LMMethod): boolean {
    return method === "chat_completion";
  }

  protected async send(request: LMRequest): Promise<LMResponse> {
    const bearer = this.staticToken ?? (await this.tokens!.token(request.signal));
    const { time_limit, ...params } = request.params;
    let path: string;
    let body: Row;
    if (request.method === "completion") {
      const parameters: Row = { ...params };
      parameters.decoding_method ??=
        typeof params.temperature === "number" && params.temperature > 0 ? "sample" : "greedy";
      if (time_limit !== undefined) parameters.time_limit = time_limit;
      path = `/ml/v1/text/generation?version=${TEXT_VERSION}`;
      body = {
        model_id: this.modelId,
        project_id: this.projectId,
        input: request.input,
        parameters,
      };
    } else {
      path = `/ml/v1/text/chat?version=${CHAT_VERSION}`;
      body = {
        model_id: this.modelId,
        project_id: this.projectId,
        messages: request.input as ChatMessage[],
        ...params,
        ...(time_limit !== undefined ? { time_limit } : {}),
      };
      if (request.tools?.length)
        Object.assign(body, {
          tools: request.tools,
          ...(request.tool_choice && typeof request.tool_choice === "object"
            ? { tool_choice: request.tool_choice }
            : { tool_choice_option: request.tool_choice ?? "auto" }),
        });
    }
    const res = await lmFetch(this.baseUrl + path, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        authorization: `Bearer ${bearer}`,
      },
      body: JSON.stringify(body),
      signal: request.signal,
    });
    const text = await res.text();
    if (!res.ok) {
      if (res.status === 401) this.tokens?.invalidate();
      throw new HttpStatusError(res.status, res.headers, `watsonx: ${text.slice(0, 300)}`);
    }
    const json: Row = JSON.parse(text);
    if (request.method === "completion") {
      const results = json.results as
        | { generated_text?: string; generated_token_count?: number; input_token_count?: number }[]
        | undefined;
      if (!Array.isArray(results) || typeof results[0]?.generated_text !== "string")
        throw malformedResponse("watsonx returned no results");
      return {
        outputs: results.map((r) => r.generated_text ?? ""),
        prompt_tokens: results[0].input_token_count,
        completion_tokens: results.reduce((s, r) => s + (r.generated_token_count ?? 0), 0),
      };
    }
    const choices = json.choices as { index?: number; message?: Row }[] | undefined;
    if (!Array.isArray(choices) || !choices.length)
      throw malformedResponse("watsonx returned no choices");
    const usage = json.usage as { prompt_tokens?: number; completion_tokens?: number } | undefined;
    return {
      outputs: [...choices]
        .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
        .map((c) =>
          toAssistantMessage((c.message ?? {}) as Parameters<typeof toAssistantMessage>[0]),
        ),
      prompt_tokens: usage?.prompt_tokens,
      completion_tokens: usage?.completion_tokens,
    };
  }
}
