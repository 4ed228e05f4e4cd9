/** The options, requests, answers and counters of the fake LLM server. */
import type { FakeBatchStats } from "./batches.js";

/**
 * A failure the server can inject instead of answering. `short` is a 200 answer that lacks its last
 * choice (OpenAI-shaped answers only; other protocols answer normally).
 */
export type FakeFailureKind =
  | "500"
  | "503"
  | "429"
  | "401"
  | "hang"
  | "malformed"
  | "reset"
  | "short";

/** A scripted answer: text, or an assistant turn with tool calls. */
export type FakeAnswer =
  | string
  | {
      content?: string | null;
      tool_calls?: { name: string; arguments: Record<string, unknown> }[];
    };

/** What a scripting function sees of a request. */
export interface FakeRequest {
  /** Protocol: openai, anthropic, ollama or watsonx. */
  protocol: "openai" | "anthropic" | "ollama" | "watsonx";
  kind: "completion" | "chat";
  path: string;
  model: string;
  /** The prompt, or the text of the last message for chat. */
  prompt: string;
  /** Position of `prompt` in a completion request that sent a list of prompts (0 otherwise). */
  promptIndex: number;
  /** The whole request body. */
  body: Record<string, unknown>;
  /** 1-based answer number, across the server's life (reset() restarts it). */
  n: number;
}

/** How the fake server behaves. Every field can be changed later with `configure`. */
export interface FakeLLMOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Delay before each answer, ms (default 0). */
  latencyMs?: number;
  /** Extra uniformly random delay in [0, jitterMs), ms. */
  jitterMs?: number;
  /** Requests served at once; above it the server answers 429 with Retry-After (default: no cap). */
  cap?: number;
  /** Wait the server asks for in its 429s, ms (sent as `retry-after-ms` and `Retry-After` seconds; default 100). */
  retryAfterMs?: number;
  /** Failures injected into the next requests, consumed in order: `[{ kind: "500", count: 1 }]`. */
  failures?: { kind: FakeFailureKind; count: number }[];
  /** Probability of a random failure per request, drawn from `randomKinds` with a seeded PRNG. */
  failureRate?: number;
  randomKinds?: FakeFailureKind[];
  seed?: number;
  /** The API key clients must send (Bearer, `api-key` or `x-api-key`); others get 401. */
  apiKey?: string;
  /** Keep every generation request's headers in `stats().requestHeaders` (default false: benchmarks send many). */
  recordHeaders?: boolean;
  /** Answer templates used in turn; `{{n}}` is the answer number, `{{prompt}}` the prompt, `{{words}}` six words that vary with the answer. */
  responses?: string[];
  /**
   * Rules tried before `responses`: the first whose regex matches the prompt answers. A rule with
   * `tools: true` answers only requests that offer tools (`false`: only those that offer none).
   */
  rules?: { match: string | RegExp; response: FakeAnswer; tools?: boolean | undefined }[];
  /**
   * Full control: return the answer for a request (wins over rules and responses), or undefined
   * to leave the request to them.
   */
  respond?: (request: FakeRequest) => FakeAnswer | undefined;
  /**
   * Token counts to report instead of the real ones, in every protocol's usage fields (any JSON
   * value, to test clients against a lying endpoint); a field left out keeps its real count.
   */
  usage?: { prompt?: unknown; completion?: unknown };
  /** How the batch APIs (OpenAI files + `/v1/batches`, Anthropic Message Batches) behave. */
  batch?: FakeBatchOptions;
}

/** How the fake server's batch APIs behave. */
export interface FakeBatchOptions {
  /** Time from a batch's creation until it ends, ms (default 0: ended at the first poll). */
  completionDelayMs?: number;
  /** Every k-th request of a batch (1-based) fails inside the batch with a server error. */
  failEvery?: number;
  /** Batches end `expired` instead of completed, with only a part of their requests answered. */
  expire?: boolean;
  /** The share of an expired batch's requests that were answered (default 0.5). */
  expireAnswered?: number;
  /** The first k lines of every output file are malformed JSON. */
  malformedLines?: number;
  /** k extra output lines whose `custom_id` the batch never had. */
  unknownIds?: number;
  /** The batch routes answer 404, as an endpoint without a batch API (vLLM, most proxies). */
  unsupported?: boolean;
}

/** Counters a test or benchmark reads. */
export interface FakeLLMStats {
  /** Every HTTP request received. */
  requests: number;
  byPath: Record<string, number>;
  /** Generation requests answered successfully. */
  completed: number;
  /** Prompts answered (a completion request with a list of prompts answers several). */
  prompts: number;
  inFlight: number;
  peakInFlight: number;
  /** 429s sent because of the cap (injected ones count in `failuresInjected`). */
  rateLimited: number;
  failuresInjected: Record<string, number>;
  unauthorized: number;
  promptTokens: number;
  completionTokens: number;
  /** Time of the first generation request and of the last answer (ms since epoch), for rates. */
  firstRequestAt: number | undefined;
  lastAnswerAt: number | undefined;
  /** Authorization-bearing header values seen (so tests can check what clients send). */
  authHeaders: string[];
  /** With `recordHeaders`: the headers of each generation request, names lower-case. */
  requestHeaders: Record<string, string>[];
}

/** A running fake LLM server. */
export interface FakeLLM {
  /** Root URL, e.g. http://127.0.0.1:43121 (Anthropic and Ollama clients use this). */
  url: string;
  /** OpenAI-style base URL (`url + "/v1"`). */
  openaiBaseURL: string;
  stats(): FakeLLMStats;
  /** Counters of the batch APIs (batches and requests created, files, polls, cancels). */
  batchStats(): FakeBatchStats;
  /** Zero the counters and the answer number; forget pending injected failures. */
  reset(): void;
  /** Change options while running. */
  configure(options: Partial<FakeLLMOptions>): void;
  close(): Promise<void>;
}
