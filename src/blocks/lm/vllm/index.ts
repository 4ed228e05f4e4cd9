import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { BlockConfig, BlockContext } from "../../block.js";
import { optionalApiKey } from "../credentials.js";
import { OpenAIProvider } from "../openai/index.js";
import type { ParamSpec } from "../params.js";
import type { LMMethod } from "../provider.js";

const SAMPLING = [
  "top_k",
  "min_tokens",
  "repetition_penalty",
  "skip_special_tokens",
  "spaces_between_special_tokens",
];

/** vLLM's OpenAI-compatible server takes its own sampling parameters next to OpenAI's. */
export const VLLM_PARAMS: Record<LMMethod, ParamSpec> = {
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
      "extra_body",
      ...SAMPLING,
    ],
    aliases: {
      max_tokens: ["max_new_tokens", "max_completion_tokens"],
      stop: ["stop_sequences"],
      min_tokens: ["min_new_tokens"],
    },
    accepted: ["max_length"],
  },
  chat_completion: {
    known: [
      "max_tokens",
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
      ...SAMPLING,
    ],
    aliases: {
      max_tokens: ["max_completion_tokens", "max_new_tokens"],
      stop: ["stop_sequences"],
      min_tokens: ["min_new_tokens"],
    },
    accepted: ["max_length"],
  },
};

/**
 * A vLLM OpenAI-compatible server you started (`vllm serve <model>`), reached at `base_url`.
 * DiGiT's `vllm-server` spawned the server itself and `vllm` ran the model in process; digit
 * talks to a running server for both names. The key is `api_key`, `VLLM_API_KEY`, or "EMPTY".
 *
 * @example
 * - name: generator
 *   type: vllm-server
 *   model_id_or_path: ibm-granite/granite-3.3-8b-instruct
 *   base_url: http://127.0.0.1:8000/v1
 */
@registerBlock("vllm-server", "vllm")
export class VLLMProvider extends OpenAIProvider {
  protected static override paramSpecs = VLLM_PARAMS;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    if (typeof this.config.base_url !== "string" || !this.config.base_url) {
      throw new ConfigError(
        `block '${this.name}' (type ${this.type}): base_url is required; digit does not start vLLM itself`,
        {
          hint: "run `vllm serve <model>` and set base_url: http://<host>:8000/v1 in the block",
        },
      );
    }
  }

  protected override resolveApiKey(): string {
    return optionalApiKey(this.config, ["VLLM_API_KEY"]) ?? "EMPTY";
  }
}
