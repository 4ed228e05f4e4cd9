import type { BlockConfig } from "../../src/blocks/block.js";

/** The block and rows of batch-crash.test.ts, shared with the child process it kills. */

/** The API key the fake server expects. */
export const CRASH_KEY = "sk-batch-crash";

/**
 * A batch-mode block of `provider` on the fake server.
 *
 * @example
 * new AnthropicProvider(crashBlockConfig("anthropic", fake.url))
 */
export function crashBlockConfig(provider: string, baseUrl: string): BlockConfig {
  return {
    name: "gen",
    type: provider,
    model_id_or_path: provider === "anthropic" ? "claude-x" : "gpt-x",
    base_url: baseUrl,
    api_key: CRASH_KEY,
    max_tokens: 64,
    retry_backoff: 0.01,
    max_retries: 0,
    timeout: 5,
    cache: false,
    execution: "batch",
    batch: { window: 0.02, poll_interval: 0.02, max_poll_interval: 0.05 },
  };
}

/** Four chat rows. */
export function crashRows(): { input: { role: string; content: string }[]; task_name: string }[] {
  return [0, 1, 2, 3].map((i) => ({
    input: [{ role: "user", content: `question ${i}` }],
    task_name: "t",
  }));
}
