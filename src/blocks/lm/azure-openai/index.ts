import type OpenAI from "openai";
import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { BlockConfig, BlockContext } from "../../block.js";
import { OpenAIProvider } from "../openai/index.js";
import { azureClient } from "./client.js";

/**
 * Azure OpenAI: the OpenAI provider with Azure's URLs and `api-key` header. Needs `base_url` (your
 * resource endpoint, or env `AZURE_OPENAI_ENDPOINT`) and a key (`api_key` or
 * `AZURE_OPENAI_API_KEY`); `api_version` defaults to `OPENAI_API_VERSION` or 2024-10-21.
 * `model_id_or_path` is the deployment name.
 *
 * @example
 * - name: generator
 *   type: azure-openai
 *   model_id_or_path: my-gpt4o-deployment
 *   base_url: https://my-resource.openai.azure.com
 */
@registerBlock("azure-openai")
export class AzureOpenAIProvider extends OpenAIProvider {
  protected static override apiKeyEnv: readonly string[] = ["AZURE_OPENAI_API_KEY"];
  protected static override batchUrls = {
    completion: "/completions",
    chat_completion: "/chat/completions",
  } as const;

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    if (!this.endpoint()) {
      throw new ConfigError(
        `block '${this.name}' (type azure-openai): base_url is required (your Azure OpenAI endpoint)`,
        {
          hint: "set base_url: https://<resource>.openai.azure.com in the block, or AZURE_OPENAI_ENDPOINT in the environment",
        },
      );
    }
  }

  protected override endpoint(): string {
    return this.config.base_url || (process.env.AZURE_OPENAI_ENDPOINT ?? "");
  }

  protected override createClient(): OpenAI {
    return azureClient(this.endpoint(), {
      apiKey: this.apiKey,
      apiVersion: this.config.api_version ?? process.env.OPENAI_API_VERSION ?? "2024-10-21",
      ...this.sdkClientOptions(),
    });
  }
}
