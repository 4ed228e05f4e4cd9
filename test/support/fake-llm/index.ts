/**
 * The fake LLM server for tests, benchmarks and offline dry runs.
 *
 * @example
 * import { startFakeLLM } from "../support/fake-llm/index.js";
 */
export { startFakeLLM, type FakeLLM, type FakeLLMOptions, type FakeLLMStats, type FakeRequest, type FakeAnswer, type FakeFailureKind } from "./server.js";
export { loadScript } from "./script.js";
