import { setMaxListeners } from "node:events";
import { z } from "zod";
import { BatchUnsupportedError, ConfigError } from "../../errors.js";
import type { LlmCallReport } from "../../telemetry/observer.js";
import type { Span } from "../../telemetry/telemetry.js";
import type { Row } from "../../util/mapping.js";
import { isObj } from "../../util/mapping.js";
import { rememberSecretsIn } from "../../util/redact.js";
import {
  Block,
  type BlockConfig,
  type BlockConfigOf,
  type BlockContext,
  type BlockFields,
  type BlockItem,
} from "../block.js";
import type { BatchApi } from "./batch/api.js";
import { batchOptionsSchema, type Execution, executionSchema } from "./batch/config.js";
import { BatchExecution, type BatchRequest } from "./batch/execution.js";
import { openBatchJournal } from "./batch/journal-store.js";
import { chunkByKey, paramsKey } from "./batch.js";
import { BlockCache, type CacheCaller } from "./block-cache.js";
import { type EndpointConfig, EndpointPool, endpointSchema } from "./endpoint-pool.js";
import { lmFetch } from "./http.js";
import { AdaptiveLimiter } from "./limiter.js";
import { cutAtStops, type ParamSpec, resolveParams, stopList } from "./params.js";
import { payloadPolicy, redact } from "./payload.js";
import { type Credential, credentialPool } from "./pool.js";
import { RefusalWatch } from "./refusals.js";
import {
  backoffDelay,
  classifyFailure,
  deadline,
  type Failure,
  malformedResponse,
  NEVER_ABORTS,
  refusedBody,
  sleep,
} from "./retry.js";
import { DEFAULT_WORST_CASE_OUTPUT_TOKENS, type SpendTicket } from "./spend-guard.js";
import { dropUsage, usageProblem } from "./usage.js";

/** How a provider is called: a raw prompt (`completion`) or a list of chat messages. */
export type LMMethod = "completion" | "chat_completion";

/** A chat message in OpenAI's shape. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: { id?: string; type?: string; function: { name: string; arguments: unknown } }[];
  [key: string]: unknown;
}

/** One request, after generation parameters were resolved. */
export interface LMRequest {
  method: LMMethod;
  /** A prompt (completion; `continuation` already appended) or chat messages. */
  input: string | ChatMessage[];
  /** Generation parameters under the provider's canonical names: block config overlaid with the row's `gen_kwargs`. */
  params: Row;
  tools?: unknown[] | undefined;
  tool_choice?: unknown;
  continuation?: string | undefined;
  /** The caller's row (for providers that template on it, like `mock`). */
  row: Row;
  /** Aborts on the per-request timeout or when the run is cancelled. */
  signal: AbortSignal;
}

/**
 * Several completion prompts with identical generation parameters, sent as one request (for
 * endpoints that take a list of prompts, like OpenAI's `/v1/completions`).
 */
export interface LMBatchRequest {
  /** The prompts, in row order, `continuation` already appended. */
  inputs: string[];
  /** Generation parameters shared by every prompt. */
  params: Row;
  /** The callers' rows, in the order of `inputs`. */
  rows: Row[];
  /** Aborts on the per-request timeout or when the run is cancelled. */
  signal: AbortSignal;
}

/** What a provider returns for one request (or for one prompt of a batched request): `n` outputs and token usage. */
export interface LMResponse {
  outputs: (string | ChatMessage)[];
  prompt_tokens?: number | undefined;
  completion_tokens?: number | undefined;
  extra?: Row | undefined;
}

/**
 * Every generation parameter any provider understands. A provider uses the ones it knows and
 * ignores (with one warning) the rest, so a `--config-path` override that switches `type:` keeps
 * working when the original block carried another provider's keys (DiGiT behaves the same way).
 */
export const GENERATION_PARAMETERS = [
  "temperature",
  "max_tokens",
  "max_new_tokens",
  "max_completion_tokens",
  "max_tokens_to_sample",
  "num_predict",
  "min_tokens",
  "min_new_tokens",
  "stop",
  "stop_sequences",
  "top_p",
  "top_k",
  "seed",
  "random_seed",
  "n",
  "num_ctx",
  "presence_penalty",
  "frequency_penalty",
  "repetition_penalty",
  "logprobs",
  "top_logprobs",
  "logit_bias",
  "response_format",
  "extra_body",
  "reasoning_effort",
  "echo",
  "skip_special_tokens",
  "spaces_between_special_tokens",
  "max_length",
  "decoding_method",
  "output_config",
  "time_limit",
] as const;

/** The `cache` values besides true and false. */
const CACHE_MODES: readonly string[] = ["read", "write", "readwrite"];

/**
 * Keys every LM provider block accepts (model, concurrency, retries, generation parameters). A
 * custom provider extends it with its own keys and declares the result as its `configSchema`.
 *
 * @example
 * const myConfigSchema = lmConfigSchema.extend({ region: z.string().default("eu") });
 * class MyProvider extends LMProvider<typeof myConfigSchema> {
 *   static override configSchema = myConfigSchema; // this.config.region is a string
 * }
 */
export const lmConfigSchema = z.object({
  model_id_or_path: z
    .string()
    .min(1)
    .describe("The model's name or path, as the endpoint knows it"),
  batch_size: z
    .union([z.number().int().positive(), z.literal("auto")])
    .optional()
    .describe("Completion prompts per request, for endpoints that take a list of prompts"),
  /** Concurrent requests per credential (DiGiT's name); `max_concurrent_requests` wins when both are set. */
  call_limit: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Concurrent requests per credential (DiGiT's name; default set by the provider)"),
  max_concurrent_requests: z
    .number()
    .int()
    .positive()
    .optional()
    .describe("Concurrent requests per credential; wins over call_limit"),
  init_tokenizer: z
    .boolean()
    .optional()
    .describe("Accepted for DiGiT compatibility; no tokenizer is loaded (a warning says so)"),
  api_key: z
    .string()
    .optional()
    .describe("API key (better: the provider's environment variable, e.g. OPENAI_API_KEY)"),
  base_url: z
    .union([z.string(), z.array(z.string().min(1)).min(1)])
    .optional()
    .describe(
      "Endpoint URL (e.g. an OpenAI-compatible server); a list makes a pool of endpoints with failover",
    ),
  endpoints: z
    .array(endpointSchema)
    .min(1)
    .optional()
    .describe(
      "A pool of endpoints with their own keys and limits (instead of base_url; see docs/providers.md#endpoint-pools)",
    ),
  api_version: z
    .string()
    .optional()
    .describe("API version, for providers that have one (Azure OpenAI)"),
  project_id: z.string().optional().describe("Project, for providers that have one (watsonx)"),
  default_headers: z
    .record(z.string(), z.string())
    .optional()
    .describe("Extra HTTP headers sent with every request"),
  timeout: z.number().positive().default(600).describe("Per-request timeout in seconds"),
  max_retries: z.number().int().min(0).default(5).describe("Retries after the first attempt"),
  retry_backoff: z
    .number()
    .min(0)
    .default(1)
    .describe("First retry delay in seconds without Retry-After (doubles per retry, at most 60)"),
  adaptive_concurrency: z
    .boolean()
    .default(true)
    .describe("Lower the concurrency on 429 and raise it back on success"),
  execution: executionSchema
    .default("online")
    .describe(
      "online: one API call per request; batch: the provider's batch API (about half the price, slower); auto: the first requests online, the rest by batch (see docs/batch.md)",
    ),
  batch: batchOptionsSchema.describe("Batch API settings, for execution: batch or auto"),
  cache: z
    .union([z.boolean(), z.string()])
    .refine((v) => typeof v === "boolean" || CACHE_MODES.includes(v), {
      message: "must be true, false, read, write or readwrite",
    })
    .optional()
    .describe(
      "Response cache: readwrite (default), read (never store), write (never reuse), or false (see docs/cache.md)",
    ),
  lm_cache: z
    .string()
    .optional()
    .describe(
      "Response cache database file for this block (DiGiT's key; default $DGT_CACHE_DIR/responses.sqlite)",
    ),
  force_cache: z
    .boolean()
    .optional()
    .describe(
      "Accepted for DiGiT compatibility: answers are cached also when sampling (each sample is its own entry)",
    ),
  ...generationParameterShape(),
});

/**
 * A parsed LM block config (the keys every provider accepts, defaults applied).
 *
 * @example
 * const config: LMConfig = OpenAIProvider.parseConfig({ name: "g", type: "openai", model_id_or_path: "m" });
 * config.timeout // 600
 */
export type LMConfig = BlockConfigOf<typeof lmConfigSchema>;

/** One optional key per generation parameter (`temperature`, `max_tokens`, ...), any value. */
function generationParameterShape(): Record<
  (typeof GENERATION_PARAMETERS)[number],
  z.ZodOptional<z.ZodUnknown>
> {
  const param = () =>
    z
      .unknown()
      .optional()
      .describe("Generation parameter, sent to the model where the provider uses it");
  // Object.fromEntries cannot know its keys; they are exactly GENERATION_PARAMETERS.
  return Object.fromEntries(GENERATION_PARAMETERS.map((k) => [k, param()])) as Record<
    (typeof GENERATION_PARAMETERS)[number],
    z.ZodOptional<z.ZodUnknown>
  >;
}

/** DiGiT keys accepted so its files run unchanged, but with no effect yet: a block that sets one warns. */
const UNSUPPORTED_KEYS = {
  init_tokenizer: "no tokenizer is loaded",
} as const satisfies Readonly<Record<string, string>>;

/** Accept every generation parameter as is (providers narrow this). */
const ALL_PARAMS: ParamSpec = { known: GENERATION_PARAMETERS };

/** The per-request outcome the base class works with: one response per prompt, or why it failed. */
interface Attempted {
  responses?: LMResponse[];
  failure?: Failure;
}

/** One HTTP request as the base class sends it: a single row, or a chunk of completion rows. */
interface Call {
  method: LMMethod;
  /** The parameters sent (span attributes). */
  params: Row;
  /** One prompt or message list per row (payload recording). */
  inputs: (string | ChatMessage[])[];
  items: BlockItem[];
  send(signal: AbortSignal): Promise<LMResponse[]>;
}

/** A row ready to send. */
interface Prepared {
  item: BlockItem;
  method: LMMethod;
  input: string | ChatMessage[];
  /** Effective parameters (block config overlaid with `gen_kwargs`). */
  params: Row;
  /** What goes on the wire (`n` removed when the base fans out). */
  sent: Row;
  n: number;
  /** Requests per row: `n` when the endpoint has no `n`, else 1. */
  fanOut: number;
}

/**
 * Base of every LLM provider block. Rows carry `input` (a prompt string or chat messages) and
 * optional `gen_kwargs`, `tools`, `tool_choice`, `continuation`; the block sets `result` (a
 * string for completion, an OpenAI-style message for chat, a list when `n > 1`), `addtl` (token
 * usage) and, when a request fails for good, `error` ("kind: message") — the run goes on.
 *
 * Every request takes a slot of its credential's process-wide adaptive limiter (keyed by a hash of
 * credential and endpoint), is retried by our own policy with no slot held while it sleeps, and is
 * reported to the run observer and as a `dgt.llm_call` span. Providers whose endpoint takes a list
 * of prompts (`supportsBatch`) send completion rows with identical parameters in chunks of up to
 * `batch_size` prompts per request; such a chunk is one request in every respect (slot, retries,
 * span), and its token usage is split over its rows.
 *
 * Call with `block.call(rows, { method: "chat_completion" })`; the default method is completion.
 *
 * @example
 * const rows = await generator.call([{ input: [{ role: "user", content: "Hi" }] }], { method: "chat_completion" });
 * rows[0].result // { role: "assistant", content: "..." }
 */
export abstract class LMProvider<S extends z.ZodObject = typeof lmConfigSchema> extends Block<S> {
  static override configSchema: z.ZodObject = lmConfigSchema;
  static override fields: BlockFields | undefined = {
    required: ["input"],
    optional: ["gen_kwargs", "tools", "tool_choice", "continuation", "result", "addtl", "error"],
  };
  /** Default concurrency per credential when the config gives none. */
  protected static defaultCallLimit = 10;
  /** Prompts per batched request when the config gives no `batch_size` (used only where `supportsBatch`). */
  protected static defaultBatchSize = 1;
  /** Parameters per method (canonical names and aliases). */
  protected static paramSpecs: Readonly<Record<LMMethod, ParamSpec>> = {
    completion: ALL_PARAMS,
    chat_completion: ALL_PARAMS,
  };
  /** Methods the provider implements. */
  protected static methods: readonly LMMethod[] = ["completion", "chat_completion"];
  /** Whether answers go through the response cache when the block sets no `cache` key. */
  protected static cachedByDefault = true;
  /** Whether the provider has a batch API (`batchApi`, `batchBody`, `batchAnswer` implemented). */
  protected static hasBatchApi = false;

  /** A generation parameter of the replaced type that neither of this provider's methods uses. */
  static override ignoresInheritedKey(key: string): boolean {
    if (key === "n" || !(GENERATION_PARAMETERS as readonly string[]).includes(key)) return false;
    return Object.values(this.paramSpecs).every((spec) =>
      resolveParams({ [key]: true }, spec).ignored.includes(key),
    );
  }

  /** The parsed config: the keys every provider has, plus the provider's own (`S`). */
  declare readonly config: LMConfig &
    BlockConfigOf<S> & { /** The first endpoint of a pool. */ base_url?: string | undefined };
  readonly modelId: string;
  /** Per-method parameters from the block config, already resolved. */
  private readonly baseParams: Record<LMMethod, Row>;
  private readonly warnedKeys = new Set<string>();
  /** Whether an unbelievable token usage was already warned about. */
  private badUsageWarned = false;
  private limiterInstance: AdaptiveLimiter | undefined;
  private readonly refusals = new RefusalWatch();
  /** The text of the last answer received (a sample for messages about replies a builder cannot use). */
  lastReply: string | undefined;
  /** Payload recording settings, read from the environment once per block call. */
  private payload = payloadPolicy();
  protected readonly timeoutMs: number;
  protected readonly maxRetries: number;
  private readonly backoffMs: number;
  /** The block's response cache; undefined when off. */
  readonly responseCache: BlockCache | undefined;
  /** Whether the cache failed to open mid-run (it is then left alone for the rest of the run). */
  private cacheFailed = false;
  /** The batch side of the block, unless it runs online only. */
  private readonly batchExecution: BatchExecution | undefined;
  /** The block's endpoints when it has several (`base_url: [...]` or `endpoints:`). */
  private readonly endpointList: EndpointConfig[] | undefined;
  private poolInstance: EndpointPool | undefined;

  constructor(raw: BlockConfig, ctx: BlockContext = {}) {
    // A pool's provider code sees its first endpoint as `base_url`; the pool spreads the requests.
    const endpoints = endpointList(raw);
    const first = endpoints
      ? endpoints[0]!.base_url
      : Array.isArray(raw.base_url)
        ? String(raw.base_url[0])
        : undefined;
    super(first === undefined ? raw : { ...raw, base_url: first }, ctx);
    this.endpointList = endpoints;
    const config: LMConfig = this.config;
    this.modelId = config.model_id_or_path;
    // Keys, auth headers and URL passwords of this block are redacted wherever they show up later.
    rememberSecretsIn(config);
    this.timeoutMs = config.timeout * 1000;
    this.maxRetries = config.max_retries;
    this.backoffMs = config.retry_backoff * 1000;
    const ctor = this.constructor as typeof LMProvider;
    const given: Row = {};
    for (const k of GENERATION_PARAMETERS)
      if (config[k] !== undefined && config[k] !== null) given[k] = config[k];
    const completion = resolveParams(given, ctor.paramSpecs.completion);
    const chat = resolveParams(given, ctor.paramSpecs.chat_completion);
    this.baseParams = { completion: completion.params, chat_completion: chat.params };
    const cache = config.cache as boolean | "read" | "write" | "readwrite" | undefined;
    this.responseCache = BlockCache.create(
      {
        cache,
        lm_cache: config.lm_cache as string | undefined,
        cachedByDefault: ctor.cachedByDefault,
      },
      ctx.cache,
      this.logger,
    );
    for (const [key, effect] of Object.entries(UNSUPPORTED_KEYS)) {
      const v = config[key as keyof typeof UNSUPPORTED_KEYS];
      if (v !== undefined && v !== null && v !== false)
        this.logger.warn(
          `block '${this.name}' (type ${this.type}): '${key}' is not supported yet and has no effect: ${effect}`,
          { unsupported: key },
        );
    }
    // `n` is handled here for every provider (fanned out when the endpoint lacks it).
    const ignored = completion.ignored.filter((k) => chat.ignored.includes(k) && k !== "n");
    if (ignored.length) {
      for (const k of ignored) this.warnedKeys.add(k);
      this.logger.warn(
        `block '${this.name}' (type ${this.type}) ignores generation parameters it does not use: ${ignored.join(", ")}`,
        { ignored },
      );
    }
    this.batchExecution = this.createBatchExecution(ctx);
  }

  /** The pool of endpoints, for a block with several (created on first use, once the key is known). */
  protected get endpointPool(): EndpointPool | undefined {
    if (!this.endpointList || this.poolInstance) return this.poolInstance;
    const key = this.credential()?.secret ?? "";
    const limit = this.requestedLimit();
    const adaptive = this.config.adaptive_concurrency !== false;
    this.poolInstance = new EndpointPool(
      this.endpointList.map((e) => ({
        url: e.base_url,
        key: e.api_key ?? key,
        limit: e.max_concurrent_requests ?? limit,
      })),
      { block: this.name, logger: this.logger, adaptive },
    );
    return this.poolInstance;
  }

  /** Check a pool's endpoints before the run (an unreachable one is taken out; none reachable is an error). */
  override async open(): Promise<void> {
    if (!this.ctx.validating) await this.endpointPool?.checkReachable();
    await super.open();
  }

  /** The concurrency this block asks for: `max_concurrent_requests`, else `call_limit`, else the provider default. */
  protected requestedLimit(): number {
    const ctor = this.constructor as typeof LMProvider;
    return this.config.max_concurrent_requests ?? this.config.call_limit ?? ctor.defaultCallLimit;
  }

  /** The credential whose process-wide limiter this block uses; undefined = a private limiter. */
  protected abstract credential(): Credential | undefined;

  /** Secrets to scrub from anything the block writes (error messages, spans, logs). */
  protected secrets(): string[] {
    const c = this.credential();
    return c ? [c.secret] : [];
  }

  /**
   * Take this block's place in the credential pool now (concrete providers call it at the end of
   * their constructor), so that two blocks asking different limits agree on the smaller one
   * before either sends anything.
   */
  protected claimConcurrency(): void {
    void this.limiter;
  }

  /**
   * Options every official SDK client gets: its own retries off (ours apply), its timeout a little
   * past our per-request deadline (ours fires first), our fetch, and the block's `default_headers`.
   *
   * @example
   * new OpenAI({ apiKey, baseURL, ...this.sdkClientOptions() })
   */
  protected sdkClientOptions(): {
    defaultHeaders: Record<string, string> | undefined;
    maxRetries: 0;
    timeout: number;
    fetch: typeof fetch;
  } {
    return {
      defaultHeaders: this.config.default_headers,
      maxRetries: 0,
      timeout: this.timeoutMs + 5_000,
      fetch: (this.endpointPool?.fetch ?? lmFetch) as typeof fetch,
    };
  }

  override limiters(): AdaptiveLimiter[] {
    return [
      this.limiter,
      ...(this.batchExecution ? [this.batchExecution.limiter] : []),
      ...super.limiters(),
    ];
  }

  /** How this block sends its requests: `online`, `batch` or `auto` (the run's `--execution` wins). */
  get execution(): Execution {
    return this.batchExecution?.mode ?? "online";
  }

  /** The batch side of the block for `execution: batch | auto` (see batch/execution.ts). */
  private createBatchExecution(ctx: BlockContext): BatchExecution | undefined {
    const mode = executionSchema.parse(ctx.execution ?? this.config.execution ?? "online");
    if (mode === "online") return undefined;
    const ctor = this.constructor as typeof LMProvider;
    if (!ctor.hasBatchApi) {
      if (mode === "batch")
        throw new BatchUnsupportedError(
          `block '${this.name}' (type ${this.type}) has no batch API; batch execution is available for openai, azure-openai and anthropic`,
        );
      this.logger.info(
        `block '${this.name}' (type ${this.type}) has no batch API; execution: auto sends its requests online`,
      );
      return undefined;
    }
    const host = {
      name: this.name,
      type: this.type,
      modelId: this.modelId,
      batchEndpoint: () => this.credential()?.endpoint ?? "",
      batchApi: (method: LMMethod) => this.batchApi(method),
      batchBody: (request: BatchRequest) => this.batchBody(request),
      batchAnswer: (body: unknown, request: BatchRequest) => this.batchAnswer(body, request),
    };
    const deps = {
      logger: this.logger,
      observer: ctx.observer,
      telemetry: this.telemetry,
      maxRetries: this.maxRetries,
    };
    return new BatchExecution(
      host,
      mode,
      batchOptionsSchema.parse(this.config.batch),
      openBatchJournal(),
      deps,
    );
  }

  /** The provider's batch API for `method` (providers with `hasBatchApi` override this). */
  protected batchApi(_method: LMMethod): BatchApi | undefined {
    return undefined;
  }

  /** The body of one request in a batch: what the online endpoint would get. */
  protected batchBody(_request: BatchRequest): Record<string, unknown> {
    throw new BatchUnsupportedError(`block '${this.name}' (type ${this.type}) has no batch API`);
  }

  /** One answer from a batch's results, read like an online answer. */
  protected batchAnswer(_body: unknown, _request: BatchRequest): LMResponse {
    throw new BatchUnsupportedError(`block '${this.name}' (type ${this.type}) has no batch API`);
  }

  /** The limiter requests of this block go through (created on first use). */
  get limiter(): AdaptiveLimiter {
    if (!this.limiterInstance) {
      const credential = this.credential();
      const adaptive = this.config.adaptive_concurrency;
      const pool = this.endpointPool;
      // A pool's requests take a slot of the whole pool here and one of their endpoint's limiter in the pool.
      this.limiterInstance = pool
        ? new AdaptiveLimiter(pool.capacity, { adaptive: false })
        : credential
          ? credentialPool().limiter(credential, this.requestedLimit(), {
              block: this.name,
              logger: this.logger,
              adaptive,
            })
          : new AdaptiveLimiter(this.requestedLimit(), { adaptive });
    }
    return this.limiterInstance;
  }

  /** Send one request. Throw anything to fail the attempt; `classify` decides whether it is retried. */
  protected abstract send(request: LMRequest): Promise<LMResponse>;

  /** Whether the endpoint returns `n` outputs in one request; otherwise the base sends `n` requests. */
  protected supportsN(_method: LMMethod): boolean {
    return true;
  }

  /** Whether `sendBatch` can send several rows of `method` in one request; otherwise `batch_size` is 1. */
  protected supportsBatch(_method: LMMethod): boolean {
    return false;
  }

  /**
   * Send several completion prompts in one request and return one response per prompt, in order
   * (token usage split over them). Called only when `supportsBatch("completion")`; throw anything
   * to fail the attempt, as `send` does.
   */
  protected sendBatch(_request: LMBatchRequest): Promise<LMResponse[]> {
    return Promise.reject(
      new Error(
        `block '${this.name}' (type ${this.type}) cannot send several prompts in one request`,
      ),
    );
  }

  /**
   * Rows per request for `method`: `batch_size` (`"auto"` or absent: the provider's default)
   * where the endpoint takes a list of prompts, else 1.
   *
   * @example
   * openaiBlock.batchLimit("completion") // 10 unless batch_size says otherwise
   * openaiBlock.batchLimit("chat_completion") // 1
   */
  batchLimit(method: LMMethod): number {
    if (!this.supportsBatch(method)) return 1;
    const configured = this.config.batch_size;
    const ctor = this.constructor as typeof LMProvider;
    return typeof configured === "number" ? configured : ctor.defaultBatchSize;
  }

  /** Classify a failed attempt (providers with unusual errors override this). */
  protected classify(e: unknown, timedOut: boolean): Failure {
    return classifyFailure(e, timedOut);
  }

  protected async execute(
    items: BlockItem[],
    options: Record<string, unknown>,
    span?: Span,
  ): Promise<BlockItem[]> {
    const method = (options.method ?? "completion") as LMMethod;
    const ctor = this.constructor as typeof LMProvider;
    if (method !== "completion" && method !== "chat_completion") {
      throw new ConfigError(`block '${this.name}': unknown method '${String(method)}'`, {
        hint: "use 'completion' or 'chat_completion'",
      });
    }
    if (!ctor.methods.includes(method)) {
      throw new ConfigError(
        `block '${this.name}' (type ${this.type}) does not support method '${method}'`,
        { hint: `call it with method: '${ctor.methods[0]}'` },
      );
    }
    this.payload = payloadPolicy();
    const runSignal = options.signal instanceof AbortSignal ? options.signal : NEVER_ABORTS;
    // Every in-flight attempt listens on the run's signal; hundreds are normal, not a leak.
    if (runSignal !== NEVER_ABORTS) setMaxListeners(0, runSignal);
    const prepared = items
      .map((item) => this.prepare(item, method))
      .filter((p): p is Prepared => p !== undefined);
    const limit = this.batchLimit(method);
    // Rows sent by the provider's batch API (execution: batch, or auto past its first rows).
    const batched = this.batchExecution ? prepared.filter(() => this.batchExecution!.takes()) : [];
    const online = batched.length ? prepared.filter((p) => !batched.includes(p)) : prepared;
    // Rows that can share a request: a string prompt, no fan-out, and the same parameters.
    const chunks =
      limit > 1
        ? chunkByKey(
            online,
            (p) => (p.fanOut === 1 && typeof p.input === "string" ? paramsKey(p.sent) : undefined),
            limit,
          )
        : online.map((p) => [p]);
    // Every request runs to its end before a failure (a spending cap's refusal, a cancellation) is
    // thrown, so the answers that arrive are cached and their cost counted.
    const settled = await Promise.allSettled([
      ...chunks.map((chunk) =>
        chunk.length === 1
          ? this.processItem(chunk[0]!, runSignal, span)
          : this.processChunk(chunk, runSignal, span),
      ),
      ...batched.map((p) => this.processBatched(p, runSignal, span)),
    ]);
    const thrown = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (thrown) throw thrown.reason;
    // Rows that got no answer are kept (the builder sees their `error`) and recorded, so a builder
    // that drops them loses nothing silently. A nested block's caller accounts for its rows.
    const failed = items.filter((item) => typeof item.error === "string");
    if (failed.length && !this.nested)
      await this.recordRejects(
        failed.map((item) => ({ row: { ...item.SRC_DATA }, reason: String(item.error) })),
        span,
      );
    this.refusals.check({ block: this.name, type: this.type, url: this.credential()?.endpoint });
    return items;
  }

  /** Resolve a row's parameters and input; a row that cannot be sent gets its error here. */
  private prepare(item: BlockItem, method: LMMethod): Prepared | undefined {
    const ctor = this.constructor as typeof LMProvider;
    const genKwargs = isObj(item.gen_kwargs) ? item.gen_kwargs : {};
    const perRow = resolveParams(genKwargs, ctor.paramSpecs[method]);
    const newKeys = perRow.ignored.filter((k) => !this.warnedKeys.has(k) && k !== "n");
    if (newKeys.length) {
      for (const k of newKeys) this.warnedKeys.add(k);
      this.logger.warn(
        `block '${this.name}' (type ${this.type}) ignores gen_kwargs it does not use: ${newKeys.join(", ")}`,
        { ignored: newKeys },
      );
    }
    const params: Row = { ...this.baseParams[method], ...perRow.params };
    const input = this.prepareInput(item, method);
    if (typeof input !== "string" && !Array.isArray(input)) {
      item.result = null;
      item.error = `input: ${input.error}`;
      return undefined;
    }
    const n = Math.max(1, Math.floor(Number(genKwargs.n ?? this.config.n ?? 1)) || 1);
    const fanOut = n > 1 && !this.supportsN(method) ? n : 1;
    const sent: Row = { ...params };
    if (fanOut > 1) delete sent.n;
    return { item, method, input, params, sent, n, fanOut };
  }

  /** One row: `fanOut` requests (one unless the endpoint lacks `n`), each with retries; then its result or error. */
  private async processItem(
    p: Prepared,
    runSignal: AbortSignal,
    blockSpan: Span | undefined,
  ): Promise<void> {
    const { item } = p;
    const request = {
      method: p.method,
      input: p.input,
      params: p.sent,
      tools: item.tools as unknown[] | undefined,
      tool_choice: item.tool_choice,
      continuation: item.continuation as string | undefined,
      row: item.SRC_DATA,
    };
    const call: Call = {
      method: p.method,
      params: p.sent,
      inputs: [p.input],
      items: [item],
      send: async (signal) => [await this.send({ ...request, signal })],
    };
    const keys = this.cacheKeys(p, p.fanOut);
    const results = await Promise.all(
      Array.from({ length: p.fanOut }, (_, k) =>
        this.cachedAttempt(call, keys?.[k], runSignal, blockSpan),
      ),
    );
    const failed = results.find((r) => !r.responses);
    if (failed) return fail(item, failed.failure!);
    this.finish(
      p,
      results.map((r) => r.responses![0]!),
    );
  }

  /** One row by the batch API: `fanOut` requests in batches; a row a batch hands back goes online. */
  private async processBatched(
    p: Prepared,
    runSignal: AbortSignal,
    blockSpan: Span | undefined,
  ): Promise<void> {
    const { item } = p;
    const request: BatchRequest = {
      method: p.method,
      input: p.input,
      params: p.sent,
      tools: item.tools as unknown[] | undefined,
      tool_choice: item.tool_choice,
      continuation: item.continuation as string | undefined,
      row: item.SRC_DATA,
    };
    const outcomes = await Promise.all(
      Array.from({ length: p.fanOut }, () =>
        this.batchExecution!.send(p.method, request, runSignal, blockSpan),
      ),
    );
    if (outcomes.some((o) => "online" in o)) return this.processItem(p, runSignal, blockSpan);
    const failed = outcomes.find((o): o is { failure: Failure } => "failure" in o);
    if (failed) return fail(item, failed.failure);
    const responses = outcomes
      .map((o) => ("response" in o ? o.response : undefined))
      .filter((r): r is LMResponse => r !== undefined);
    this.finish(p, responses);
    this.refusals.succeeded();
  }

  /** Completion rows with identical parameters as one request; on a final failure every row gets the error. */
  private async processChunk(
    all: Prepared[],
    runSignal: AbortSignal,
    blockSpan: Span | undefined,
  ): Promise<void> {
    // Prompts the cache answers are finished here; the rest share one request.
    const keys = new Map<Prepared, string>();
    const chunk: Prepared[] = [];
    for (const p of all) {
      const key = this.cacheKeys(p, 1)?.[0];
      const hit = key === undefined ? undefined : this.cacheHit(key, [p.item]);
      if (hit) this.finish(p, [hit]);
      else {
        if (key !== undefined) keys.set(p, key);
        chunk.push(p);
      }
    }
    if (chunk.length === 0) return;
    const first = chunk[0]!;
    const inputs = chunk.map((p) => p.input as string);
    const rows = chunk.map((p) => p.item.SRC_DATA);
    const call: Call = {
      method: first.method,
      params: first.sent,
      inputs,
      items: chunk.map((p) => p.item),
      send: (signal) => this.sendBatch({ inputs, params: first.sent, rows, signal }),
    };
    const result = await this.attempt(call, runSignal, blockSpan);
    chunk.forEach((p, i) => {
      const key = keys.get(p);
      if (key !== undefined) this.cacheStore(key, result.responses?.[i]);
    });
    chunk.forEach((p, i) => {
      if (result.responses) this.finish(p, [result.responses[i]!]);
      else fail(p.item, result.failure!);
    });
  }

  /**
   * Open the response cache now, so a cache that cannot be used stops the run before any output
   * is touched (the engine calls this; otherwise it opens on the first request).
   */
  openCache(): void {
    this.responseCache?.open();
  }

  /** Who answers, as the cache key knows it (never a credential). */
  private cacheCaller(): CacheCaller {
    return {
      provider: this.type,
      endpoint: this.credential()?.endpoint ?? "",
      model: this.modelId,
    };
  }

  /** The cache keys of a row's `count` samples, or undefined when the cache is off. */
  private cacheKeys(p: Prepared, count: number): string[] | undefined {
    if (!this.responseCache || this.cacheFailed) return undefined;
    const { item } = p;
    const request: Row = {
      method: p.method,
      input: p.input,
      params: p.sent,
      tools: item.tools,
      tool_choice: item.tool_choice,
    };
    return this.responseCache.keys(this.cacheCaller(), request, item.SRC_DATA, count);
  }

  /** A request through the cache: a stored answer if there is one, else sent and stored. */
  private async cachedAttempt(
    call: Call,
    key: string | undefined,
    runSignal: AbortSignal,
    blockSpan: Span | undefined,
  ): Promise<Attempted> {
    const hit = key === undefined ? undefined : this.cacheHit(key, call.items);
    if (hit) return { responses: [hit] };
    const result = await this.attempt(call, runSignal, blockSpan);
    if (key !== undefined) this.cacheStore(key, result.responses?.[0]);
    return result;
  }

  /** The stored answer for `key` (reported as a hit), or undefined (reported as a miss). */
  private cacheHit(key: string, items: BlockItem[]): LMResponse | undefined {
    const cache = this.responseCache;
    if (!cache?.reads || this.cacheFailed) return undefined;
    const stored = this.cacheUse(() => cache.get(key));
    const response = stored && isResponse(stored.value) ? stored.value : undefined;
    this.ctx.observer?.cacheLookup?.({
      block: this.name,
      provider: this.type,
      model: this.modelId,
      task_names: taskNamesOf(items),
      hit: !!response,
      prompt_tokens: response?.prompt_tokens ?? 0,
      completion_tokens: response?.completion_tokens ?? 0,
    });
    return response ? { ...response, outputs: [...response.outputs] } : undefined;
  }

  /** Store a request's answer the moment it arrives (before its record is committed). */
  private cacheStore(key: string, response: LMResponse | undefined): void {
    const cache = this.responseCache;
    if (!response || !cache?.writes || this.cacheFailed) return;
    this.cacheUse(() =>
      cache.put(key, this.cacheCaller(), response, {
        prompt_tokens: response.prompt_tokens,
        completion_tokens: response.completion_tokens,
      }),
    );
  }

  private cacheUse<T>(use: () => T): T | undefined {
    try {
      return use();
    } catch (e) {
      this.cacheFailed = true;
      this.logger.warn(
        `block '${this.name}': the response cache cannot be used (${(e as Error).message}); requests are sent without it`,
        { file: this.responseCache?.file },
      );
      return undefined;
    }
  }

  /** Write a row's outputs (cut at its stop sequences), token usage and extras. */
  private finish(p: Prepared, responses: LMResponse[]): void {
    const { item } = p;
    const stops = stopList(p.params.stop ?? p.params.stop_sequences);
    const outputs = responses
      .flatMap((r) => r.outputs)
      .map((o) => (typeof o === "string" && stops.length ? cutAtStops(o, stops) : o));
    const prompt_tokens = responses.reduce((s, r) => s + (r.prompt_tokens ?? 0), 0);
    const completion_tokens = responses.reduce((s, r) => s + (r.completion_tokens ?? 0), 0);
    item.result = p.n > 1 ? outputs : (outputs[0] ?? null);
    if (outputs[0] !== undefined) this.lastReply = resultText(outputs[0]);
    item.addtl = { prompt_tokens, completion_tokens, ...(responses[0]!.extra ?? {}) };
    delete item.error;
  }

  /** The prompt or messages to send, or why the row cannot be sent. */
  private prepareInput(
    item: BlockItem,
    method: LMMethod,
  ): string | ChatMessage[] | { error: string } {
    const input = item.input;
    if (method === "completion") {
      if (typeof input !== "string")
        return {
          error:
            "completion needs a string prompt; call the block with method 'chat_completion' for chat messages",
        };
      return typeof item.continuation === "string" ? input + item.continuation : input;
    }
    if (typeof input === "string") return [{ role: "user", content: input }];
    if (
      Array.isArray(input) &&
      input.every((m) => m && typeof m === "object" && typeof (m as ChatMessage).role === "string")
    )
      return input as ChatMessage[];
    return { error: "chat_completion needs a list of messages ({role, content})" };
  }

  /** One request (of one row or a chunk) with retries: a slot per attempt, none held while sleeping. */
  private async attempt(
    call: Call,
    runSignal: AbortSignal,
    blockSpan: Span | undefined,
  ): Promise<Attempted> {
    const taskNames = taskNamesOf(call.items);
    const budget = this.ctx.budget;
    // Under a spending cap the request's worst case is reserved once it has a slot, before it is
    // sent (the reservation throws when a cap cannot cover it); it is settled when it is done.
    let ticket: SpendTicket | undefined;
    const reserve =
      budget &&
      (() =>
        (ticket = budget.reserve({
          provider: this.type,
          model: this.modelId,
          tasks: taskNames,
          promptTokens: estimatePromptTokens(call.inputs),
          maxCompletionTokens: maxCompletionTokens(call.params, call.inputs.length),
        })));
    let result: Attempted = {};
    try {
      result = await this.attemptWithRetries(call, runSignal, blockSpan, taskNames, reserve);
      return result;
    } finally {
      const responses = result.responses;
      const unknownUsage = responses?.some(
        (r) => r.prompt_tokens === undefined && r.completion_tokens === undefined,
      );
      ticket?.settle(
        !responses
          ? { prompt_tokens: 0, completion_tokens: 0 }
          : unknownUsage
            ? undefined
            : {
                prompt_tokens: responses.reduce((s, r) => s + (r.prompt_tokens ?? 0), 0),
                completion_tokens: responses.reduce((s, r) => s + (r.completion_tokens ?? 0), 0),
              },
      );
    }
  }

  private async attemptWithRetries(
    call: Call,
    runSignal: AbortSignal,
    blockSpan: Span | undefined,
    taskNames: string[],
    reserve: (() => void) | undefined,
  ): Promise<Attempted> {
    const limiter = this.limiter;
    const started = performance.now();
    const span = this.telemetry.startSpan(
      "dgt.llm_call",
      {
        provider: this.type,
        model_id: this.modelId,
        method: call.method,
        batch_size: call.inputs.length,
        task_names: taskNames,
        ...pickDefined(call.params, ["temperature", "n"]),
        ...maxTokensAttr(call.params),
      },
      blockSpan,
    );
    const attemptErrors: Record<string, number> = {};
    let semaphoreWait = 0;
    let retries = 0;
    let result: Attempted = {};
    for (let attempt = 0; ; attempt++) {
      const waitStart = performance.now();
      const slot = await limiter.acquire();
      semaphoreWait += performance.now() - waitStart;
      const refused = this.refusals.refusal();
      if (refused) {
        // The endpoint refused every request so far: fail at once instead of sending more.
        slot.release("error");
        span.end("error", new Error(refused.message));
        return { failure: refused };
      }
      if (attempt === 0 && reserve) {
        try {
          reserve();
        } catch (e) {
          slot.release("error");
          span.end("cancelled");
          throw e;
        }
      }
      const timer = deadline(this.timeoutMs, runSignal);
      this.ctx.observer?.requestStarted?.(this.name);
      try {
        const responses = await call.send(timer.signal);
        if (responses.length !== call.inputs.length)
          throw malformedResponse(`${responses.length} answers for ${call.inputs.length} prompts`);
        slot.release("ok");
        result = { responses };
        const problem = usageProblem(responses);
        if (problem !== undefined) {
          // The answer stands; only its token counts are not believed (and the request counts as malformed).
          dropUsage(responses);
          attemptErrors.parse = (attemptErrors.parse ?? 0) + 1;
          this.reportBadUsage(problem);
        }
      } catch (e) {
        if (runSignal.aborted) {
          slot.release("error");
          span.end("cancelled");
          throw e;
        }
        const failure =
          (timer.timedOut() ? undefined : refusedBody(e)) ?? this.classify(e, timer.timedOut());
        failure.message = redact(
          failure.status && !failure.message.startsWith(String(failure.status))
            ? `${failure.status} ${failure.message}`
            : failure.message,
          this.secrets(),
        );
        slot.release(failure.kind === "429" ? "rate_limited" : "error");
        result = { failure };
      } finally {
        timer.clear();
        this.ctx.observer?.requestFinished?.(this.name);
      }
      if (result.responses || !result.failure) break;
      const failure = result.failure;
      attemptErrors[failure.kind] = (attemptErrors[failure.kind] ?? 0) + 1;
      if (!failure.retryable || attempt >= this.maxRetries) break;
      retries++;
      this.logger.debug(
        `block '${this.name}': retrying after ${failure.kind} (${failure.message})`,
        { kind: failure.kind, attempt: attempt + 1 },
      );
      await sleep(
        backoffDelay(attempt, failure.retryAfterMs, { initialMs: this.backoffMs, maxMs: 60_000 }),
        runSignal,
      ).catch((e: unknown) => {
        span.end("cancelled");
        throw e;
      });
    }
    const responses = result.responses;
    if (responses) this.refusals.succeeded();
    else if (result.failure) this.refusals.failed(result.failure);
    const usage = {
      prompt_tokens: responses?.reduce((s, r) => s + (r.prompt_tokens ?? 0), 0) ?? 0,
      completion_tokens: responses?.reduce((s, r) => s + (r.completion_tokens ?? 0), 0) ?? 0,
    };
    const semaphore_wait_ms = Math.round(semaphoreWait * 100) / 100;
    span.set({
      ...usage,
      semaphore_wait_ms,
      retries,
      status: responses ? "ok" : "error",
      ...(responses ? {} : { error_kind: result.failure!.kind }),
    });
    if (Object.keys(attemptErrors).length) span.set({ attempt_errors: attemptErrors });
    this.recordPayload(span, call, responses);
    if (responses) span.end("ok");
    else span.end("error", new Error(`${result.failure!.kind}: ${result.failure!.message}`));
    this.ctx.observer?.llmCall?.({
      block: this.name,
      provider: this.type,
      model: this.modelId,
      task_names: taskNames,
      ...(taskNames.length > 1 ? { task_usage: usageByTask(call.items, responses) } : {}),
      ...usage,
      ok: !!responses,
      error_kind: result.failure && !responses ? result.failure.kind : undefined,
      retries,
      attempt_errors: attemptErrors,
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
      semaphore_wait_ms,
    });
    return result;
  }

  /** Log an endpoint's unbelievable token usage: a warning the first time per block, then at debug level. */
  private reportBadUsage(problem: string): void {
    const message = `block '${this.name}' (type ${this.type}): ignored the token usage the endpoint reported for a request (${problem}); the request counts as a malformed answer`;
    if (this.badUsageWarned) {
      this.logger.debug(message, { kind: "parse" });
      return;
    }
    this.badUsageWarned = true;
    this.logger.warn(`${message}; further ones are logged at debug level`, { kind: "parse" });
  }

  private recordPayload(
    span: { set(a: Row): void },
    call: Call,
    responses: LMResponse[] | undefined,
  ): void {
    const policy = this.payload;
    if (!policy.record) return;
    const secrets = this.secrets();
    let truncated = false;
    const put = (key: string, value: unknown) => {
      const t = policy.truncate(
        redact(typeof value === "string" ? value : JSON.stringify(value), secrets),
      );
      truncated ||= t.truncated;
      span.set({ [key]: t.text });
    };
    const one = <T>(list: T[]): T | T[] => (list.length === 1 ? list[0]! : list);
    put(call.method === "completion" ? "prompt" : "messages", one(call.inputs));
    if (responses) put("completion", one(responses.map((r) => one(r.outputs))));
    span.set({ payload_truncated: truncated });
  }
}

/** Input tokens of a request's prompts, overestimated (3 characters a token) for the worst case. */
function estimatePromptTokens(inputs: readonly (string | ChatMessage[])[]): number {
  return inputs.reduce(
    (s, i) => s + Math.ceil((typeof i === "string" ? i.length : JSON.stringify(i).length) / 3),
    0,
  );
}

/** The most output tokens a request of `prompts` prompts may produce (its limit, times `n`). */
function maxCompletionTokens(params: Row, prompts: number): number {
  const limit = [
    "max_tokens",
    "max_completion_tokens",
    "max_new_tokens",
    "num_predict",
    "max_tokens_to_sample",
  ]
    .map((k) => params[k])
    .find((v) => typeof v === "number" && v > 0) as number | undefined;
  const n = typeof params.n === "number" && params.n > 1 ? params.n : 1;
  return (limit ?? DEFAULT_WORST_CASE_OUTPUT_TOKENS) * n * prompts;
}

/** Whether a stored value looks like an answer (a damaged entry is a miss, not a crash). */
function isResponse(value: unknown): value is LMResponse {
  return (
    typeof value === "object" && value !== null && Array.isArray((value as LMResponse).outputs)
  );
}

/** Distinct task names of the rows of a request. */
function taskNamesOf(items: BlockItem[]): string[] {
  return [
    ...new Set(
      items.map((i) => i.SRC_DATA.task_name).filter((t): t is string => typeof t === "string"),
    ),
  ];
}

/** A row whose request failed for good: no result, and the error as "kind: message". */
function fail(item: BlockItem, failure: Failure): void {
  item.result = null;
  item.error = `${failure.kind}: ${failure.message}`;
}

function pickDefined(params: Row, keys: readonly string[]): Row {
  const out: Row = {};
  for (const k of keys) if (params[k] !== undefined) out[k] = params[k];
  return out;
}

function maxTokensAttr(params: Row): Row {
  for (const k of ["max_tokens", "max_completion_tokens", "max_new_tokens", "num_predict"])
    if (params[k] !== undefined) return { max_tokens: params[k] };
  return {};
}

/**
 * The text of a result: a string as is, a chat message's `content`.
 *
 * @example
 * const [row] = await lm.call([{ input: "Say hi" }]);
 * const text = resultText(row?.result); // "hi"
 */
export function resultText(result: unknown): string {
  if (typeof result === "string") return result;
  if (result && typeof result === "object" && "content" in result) {
    const c = (result as ChatMessage).content;
    return typeof c === "string" ? c : c == null ? "" : JSON.stringify(c);
  }
  return "";
}

/** Rows and tokens of one request per task (a batched request may serve several tasks). */
function usageByTask(
  items: BlockItem[],
  responses: LMResponse[] | undefined,
): NonNullable<LlmCallReport["task_usage"]> {
  const out: NonNullable<LlmCallReport["task_usage"]> = {};
  items.forEach((item, i) => {
    const name =
      typeof item.SRC_DATA.task_name === "string" ? item.SRC_DATA.task_name : "(no task)";
    const u = (out[name] ??= { rows: 0, prompt_tokens: 0, completion_tokens: 0 });
    u.rows++;
    u.prompt_tokens += responses?.[i]?.prompt_tokens ?? 0;
    u.completion_tokens += responses?.[i]?.completion_tokens ?? 0;
  });
  return out;
}

/** The endpoints of a block with several (`endpoints:` or a `base_url` list), else undefined. */
function endpointList(config: BlockConfig): EndpointConfig[] | undefined {
  if (Array.isArray(config.endpoints) && config.endpoints.length)
    return config.endpoints.map((e) => endpointSchema.parse(e));
  if (Array.isArray(config.base_url) && config.base_url.length > 1)
    return config.base_url.map((url) => ({ base_url: String(url) }));
  return undefined;
}
