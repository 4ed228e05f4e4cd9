/**
 * The fake LLM server: a real HTTP server on 127.0.0.1 speaking the OpenAI, Anthropic, Ollama and
 * watsonx APIs, with scripted answers, latency, a concurrency cap and injected failures, for dry
 * runs, CI and tests (`digit fake-llm` runs it from the command line).
 *
 * @example
 * import { startFakeLLM, DEFAULT_SCRIPT } from "./fake-llm/index.js";
 * const fake = await startFakeLLM({ ...DEFAULT_SCRIPT, latencyMs: 50 });
 */

export type { FakeBatchStats } from "./batches.js";
export { DEFAULT_SCRIPT } from "./default-script.js";
export { loadScript } from "./script.js";
export { startFakeLLM } from "./server.js";
export type {
  FakeAnswer,
  FakeBatchOptions,
  FakeFailureKind,
  FakeLLM,
  FakeLLMOptions,
  FakeLLMStats,
  FakeRequest,
} from "./types.js";
