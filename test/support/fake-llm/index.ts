/**
 * The fake LLM server for tests and benchmarks: the product's own (src/fake-llm), re-exported so
 * tests keep one import path.
 *
 * @example
 * import { startFakeLLM } from "../support/fake-llm/index.js";
 */
export {
  DEFAULT_SCRIPT,
  type FakeAnswer,
  type FakeBatchOptions,
  type FakeBatchStats,
  type FakeFailureKind,
  type FakeLLM,
  type FakeLLMOptions,
  type FakeLLMStats,
  type FakeRequest,
  loadScript,
  startFakeLLM,
} from "../../../src/fake-llm/index.js";
