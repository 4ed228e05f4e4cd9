/**
 * The fake LLM server for tests and benchmarks: the product's own (src/fake-llm), re-exported so
 * tests keep one import path.
 *
 * @example
 * import { startFakeLLM } from "../support/fake-llm/index.js";
 */
export { startFakeLLM, loadScript, DEFAULT_SCRIPT, type FakeLLM, type FakeLLMOptions, type FakeLLMStats, type FakeRequest, type FakeAnswer, type FakeFailureKind, type FakeBatchOptions, type FakeBatchStats } from "../../../src/fake-llm/index.js";
