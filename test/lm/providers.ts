import type { BlockContext } from "../../src/blocks/block.js";
import { AnthropicProvider } from "../../src/blocks/lm/anthropic/index.js";
import { AzureOpenAIProvider } from "../../src/blocks/lm/azure-openai/index.js";
import { OllamaProvider } from "../../src/blocks/lm/ollama/index.js";
import { OpenAIProvider } from "../../src/blocks/lm/openai/index.js";
import type { LMProvider } from "../../src/blocks/lm/provider.js";
import { VLLMProvider } from "../../src/blocks/lm/vllm/index.js";
import { WatsonxProvider } from "../../src/blocks/lm/watsonx/index.js";
import type { FakeLLM } from "../support/fake-llm/index.js";

/** The key the fake server expects in provider tests. */
export const KEY = "sk-fake-SECRET-0123456789";

/** How to build each real provider against the fake server. */
export interface ProviderCase {
  type: string;
  completion: boolean;
  make(fake: FakeLLM, extra: Record<string, unknown>, ctx: BlockContext): LMProvider;
}

const cfg = (type: string, extra: Record<string, unknown>, more: Record<string, unknown>) => ({
  name: `gen-${type}`,
  type,
  model_id_or_path: "fake-model",
  api_key: KEY,
  ...more,
  ...extra,
});

export const PROVIDERS: ProviderCase[] = [
  {
    type: "openai",
    completion: true,
    make: (f, e, c) => new OpenAIProvider(cfg("openai", e, { base_url: f.openaiBaseURL }), c),
  },
  {
    type: "azure-openai",
    completion: true,
    make: (f, e, c) =>
      new AzureOpenAIProvider(
        cfg("azure-openai", e, { base_url: f.url, api_version: "2024-10-21" }),
        c,
      ),
  },
  {
    type: "vllm-server",
    completion: true,
    make: (f, e, c) => new VLLMProvider(cfg("vllm-server", e, { base_url: f.openaiBaseURL }), c),
  },
  {
    type: "anthropic",
    completion: false,
    make: (f, e, c) =>
      new AnthropicProvider(cfg("anthropic", e, { base_url: f.url, max_tokens: 64 }), c),
  },
  {
    type: "ollama",
    completion: true,
    make: (f, e, c) => new OllamaProvider(cfg("ollama", e, { base_url: f.url }), c),
  },
  {
    type: "watsonx",
    completion: true,
    make: (f, e, c) =>
      new WatsonxProvider(
        cfg("watsonx", e, { base_url: f.url, iam_url: f.url, project_id: "proj-1" }),
        c,
      ),
  },
];
