import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { azureBatchRoute, azureRefusal, isAzurePath } from "./azure.js";
import { FakeBatches } from "./batches.js";
import { answerEmbeddings } from "./embeddings.js";
import { readBody, send } from "./http.js";
import {
  allMessagesText,
  authorized,
  bearer,
  dropLastChoice,
  errorBody,
  lastMessageText,
  protocolOf,
  reportUsage,
  countWords as words,
} from "./protocol.js";
import { exampleFor, requestedSchema } from "./structured.js";
import { render } from "./template.js";
import type {
  FakeAnswer,
  FakeFailureKind,
  FakeLLM,
  FakeLLMOptions,
  FakeLLMStats,
  FakeRequest,
} from "./types.js";

const DEFAULT_RESPONSE = "This is answer {{n}}.";
const GENERATION_PATHS =
  /\/(chat\/completions|completions|messages)$|^\/api\/(chat|generate)$|^\/ml\/v1\/text\/(generation|chat)$/;

function emptyStats(): FakeLLMStats {
  return {
    requests: 0,
    byPath: {},
    completed: 0,
    prompts: 0,
    inFlight: 0,
    peakInFlight: 0,
    rateLimited: 0,
    failuresInjected: {},
    unauthorized: 0,
    promptTokens: 0,
    completionTokens: 0,
    firstRequestAt: undefined,
    lastAnswerAt: undefined,
    authHeaders: [],
    requestHeaders: [],
  };
}

/**
 * Start a real HTTP server on 127.0.0.1 that speaks enough of the OpenAI, Anthropic, Ollama and
 * watsonx APIs (non-streaming) for the providers' real SDKs, with latency, a concurrency cap,
 * injected failures, auth and scripted answers.
 *
 * @example
 * const fake = await startFakeLLM({ latencyMs: 50, responses: ["Answer {{n}}"] });
 * // new OpenAI({ baseURL: fake.openaiBaseURL, apiKey: "x" })
 * await fake.close();
 */
export async function startFakeLLM(options: FakeLLMOptions = {}): Promise<FakeLLM> {
  let opts: FakeLLMOptions = { ...options };
  let stats = emptyStats();
  let answerNo = 0;
  let responseIdx = 0;
  let queue = expandFailures(opts.failures);
  let rng = mulberry32(opts.seed ?? 1);
  let url = "";
  const sockets = new Set<Socket>();
  const batches = new FakeBatches({
    answer: (protocol, path, body) => answerFor(protocol, path, body),
    options: () => opts.batch,
    url: () => url,
  });

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(e) } });
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    stats.requests++;
    stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
    const raw = await readBody(req);
    const auth =
      req.headers.authorization ??
      (req.headers["api-key"] as string | undefined) ??
      (req.headers["x-api-key"] as string | undefined);
    if (auth) stats.authHeaders.push(auth);

    if (req.method === "GET" && path === "/v1/models")
      return send(res, 200, {
        object: "list",
        data: [{ id: "fake-model", object: "model", owned_by: "fake" }],
      });
    if (req.method === "GET" && path === "/api/tags")
      return send(res, 200, { models: [{ name: "fake-model", model: "fake-model" }] });
    if (req.method === "POST" && path === "/identity/token") return iamToken(res, raw);
    if (req.method === "POST" && path === "/api/show")
      return send(res, 200, { model_info: { "llama.context_length": 8192 }, details: {} });
    if (isAzurePath(path)) {
      const refused = azureRefusal(url, req.headers, opts.apiKey);
      if (refused) {
        if (refused.status === 401) stats.unauthorized++;
        return send(res, refused.status, refused.body);
      }
      const route = azureBatchRoute(path);
      if (route && batches.handle(req, res, route, raw, "azure")) return;
    }
    if (/^\/v1\/(files|batches|messages\/batches)(\/|$)/.test(path)) {
      const protocol = path.startsWith("/v1/messages/") ? "anthropic" : "openai";
      if (opts.apiKey !== undefined && !authorized(auth, opts.apiKey, protocol)) {
        stats.unauthorized++;
        return send(res, 401, errorBody(protocol, "Incorrect API key provided", "invalid_api_key"));
      }
      if (batches.handle(req, res, path, raw)) return;
    }

    const embeddings =
      req.method === "POST" && (path === "/v1/embeddings" || path === "/api/embed");
    if (embeddings) {
      let eb: Record<string, unknown>;
      try {
        eb = JSON.parse(raw || "{}") as Record<string, unknown>;
      } catch {
        return send(res, 400, { error: { message: "request body is not JSON" } });
      }
      const p = path === "/api/embed" ? "ollama" : "openai";
      if (opts.apiKey !== undefined && !authorized(auth, opts.apiKey, p)) {
        stats.unauthorized++;
        return send(res, 401, errorBody(p, "Incorrect API key provided", "invalid_api_key"));
      }
      return answerEmbeddings(res, p, eb);
    }
    if (!(req.method === "POST" && GENERATION_PATHS.test(path)))
      return send(res, 404, { error: { message: `fake LLM: no route ${req.method} ${path}` } });
    if (opts.recordHeaders)
      stats.requestHeaders.push(
        Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [
            k,
            Array.isArray(v) ? v.join(", ") : String(v),
          ]),
        ),
      );
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw || "{}") as Record<string, unknown>;
    } catch {
      return send(res, 400, { error: { message: "request body is not JSON" } });
    }
    const protocol = protocolOf(path);
    if (opts.apiKey !== undefined && !authorized(auth, opts.apiKey, protocol)) {
      stats.unauthorized++;
      // Real endpoints echo (part of) the rejected key; so do we, to test that clients redact it.
      return send(
        res,
        401,
        errorBody(
          protocol,
          `Incorrect API key provided: ${bearer(auth) ?? "(none)"}`,
          "invalid_api_key",
        ),
      );
    }
    stats.firstRequestAt ??= Date.now();

    const failure = nextFailure();
    if (failure) {
      stats.failuresInjected[failure] = (stats.failuresInjected[failure] ?? 0) + 1;
      if (failure === "429")
        return send(
          res,
          429,
          errorBody(protocol, "Rate limit reached (injected)", "rate_limit"),
          retryHeaders(),
        );
      if (failure === "401")
        return send(res, 401, errorBody(protocol, "Unauthorized (injected)", "invalid_api_key"));
    }
    const cap = opts.cap ?? 0;
    if (cap > 0 && stats.inFlight >= cap) {
      stats.rateLimited++;
      return send(
        res,
        429,
        errorBody(protocol, `Rate limit: at most ${cap} concurrent requests`, "rate_limit"),
        retryHeaders(),
      );
    }

    stats.inFlight++;
    if (stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stats.inFlight--;
    };
    res.on("close", finish);
    try {
      if (failure === "hang") {
        await new Promise<void>((resolve) => res.on("close", () => resolve()));
        return;
      }
      const delay = (opts.latencyMs ?? 0) + (opts.jitterMs ? rng() * opts.jitterMs : 0);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (failure === "reset") {
        req.socket.destroy();
        return;
      }
      if (failure === "500" || failure === "503")
        return send(
          res,
          Number(failure),
          errorBody(protocol, `Server error ${failure} (injected)`, "server_error"),
        );
      if (failure === "malformed") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"id": "broken", "choices": [{"index": 0, "message": {"role": "assist');
        return;
      }
      const answer = answerFor(protocol, path, body);
      if (failure === "short") dropLastChoice(answer);
      if (opts.usage) reportUsage(answer, opts.usage);
      stats.completed++;
      stats.lastAnswerAt = Date.now();
      send(res, 200, answer);
    } finally {
      finish();
    }
  }

  function retryHeaders(): Record<string, string> {
    const ms = opts.retryAfterMs ?? 100;
    return {
      "retry-after-ms": String(ms),
      "retry-after": String(Math.max(1, Math.ceil(ms / 1000))),
    };
  }

  function nextFailure(): FakeFailureKind | undefined {
    const queued = queue.shift();
    if (queued) return queued;
    if (opts.failureRate && rng() < opts.failureRate) {
      const kinds = opts.randomKinds?.length ? opts.randomKinds : (["500"] as FakeFailureKind[]);
      return kinds[Math.floor(rng() * kinds.length)]!;
    }
    return undefined;
  }

  function iamToken(res: ServerResponse, raw: string): void {
    const form = new URLSearchParams(raw);
    if (opts.apiKey !== undefined && form.get("apikey") !== opts.apiKey) {
      stats.unauthorized++;
      send(res, 400, {
        errorCode: "BXNIM0415E",
        errorMessage: "Provided API key could not be found.",
      });
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    send(res, 200, {
      access_token: `fake-iam-token-${now}`,
      token_type: "Bearer",
      expires_in: 3600,
      expiration: now + 3600,
    });
  }

  /** Produce `count` answers for one request and account tokens. */
  function answers(request: Omit<FakeRequest, "n">, count: number): FakeAnswer[] {
    const out: FakeAnswer[] = [];
    for (let i = 0; i < count; i++) {
      const n = ++answerNo;
      const full: FakeRequest = { ...request, n };
      let a: FakeAnswer | undefined = opts.respond?.(full);
      if (a === undefined) {
        const offersTools = Array.isArray(request.body.tools) && request.body.tools.length > 0;
        const rule = opts.rules?.find(
          (r) =>
            (r.tools === undefined || r.tools === offersTools) &&
            (typeof r.match === "string" ? new RegExp(r.match) : r.match).test(request.prompt),
        );
        if (rule) a = rule.response;
      }
      if (a === undefined) {
        // A structured-output request no rule answers gets a JSON value that fits its schema.
        const schema = requestedSchema(request.protocol, request.body);
        if (schema) a = JSON.stringify(exampleFor(schema, n));
      }
      if (a === undefined) {
        const list = opts.responses?.length ? opts.responses : [DEFAULT_RESPONSE];
        a = list[responseIdx++ % list.length]!;
      }
      out.push(render(a, full));
    }
    return out;
  }

  function answerFor(
    protocol: FakeRequest["protocol"],
    path: string,
    body: Record<string, unknown>,
  ): unknown {
    const model = String(body.model ?? body.model_id ?? "fake-model");
    const chat = /chat|messages/.test(path);
    const n = Math.max(1, Number(body.n ?? 1));
    const kind = chat ? "chat" : "completion";
    // OpenAI's /v1/completions takes a list of prompts: n choices per prompt, prompt i's j-th
    // choice at index i·n + j, usage summed over the prompts.
    if (protocol === "openai" && !chat && Array.isArray(body.prompt)) {
      const prompts = body.prompt.map((p) => (typeof p === "string" ? p : JSON.stringify(p)));
      const choices: { index: number; text: string; finish_reason: string; logprobs: null }[] = [];
      let promptTokens = 0;
      let completionTokens = 0;
      prompts.forEach((prompt, promptIndex) => {
        const texts = answers({ protocol, kind, path, model, prompt, promptIndex, body }, n).map(
          (a) => (typeof a === "string" ? a : (a.content ?? "")),
        );
        promptTokens += words(prompt);
        completionTokens += texts.reduce((s, t) => s + words(t), 0);
        texts.forEach((text, j) => {
          choices.push({ index: promptIndex * n + j, text, finish_reason: "stop", logprobs: null });
        });
      });
      stats.promptTokens += promptTokens;
      stats.completionTokens += completionTokens;
      stats.prompts += prompts.length;
      const usage = {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      };
      return {
        id: `fake-${answerNo}`,
        object: "text_completion",
        created: Math.floor(Date.now() / 1000),
        model,
        choices,
        usage,
      };
    }
    const prompt = chat ? lastMessageText(body.messages) : String(body.prompt ?? body.input ?? "");
    const promptTokens = words(
      chat
        ? allMessagesText(body.messages) +
            (typeof body.system === "string" ? ` ${body.system}` : "")
        : prompt,
    );
    const list = answers({ protocol, kind, path, model, prompt, promptIndex: 0, body }, n);
    const texts = list.map((a) => (typeof a === "string" ? a : (a.content ?? "")));
    const completionTokens = texts.reduce((s, t) => s + words(t), 0);
    stats.promptTokens += promptTokens;
    stats.completionTokens += completionTokens;
    stats.prompts++;
    const created = Math.floor(Date.now() / 1000);
    const id = `fake-${answerNo}`;
    const calls = (a: FakeAnswer) => (typeof a === "string" ? [] : (a.tool_calls ?? []));
    if (protocol === "openai" || (protocol === "watsonx" && chat)) {
      const usage = {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      };
      if (!chat)
        return {
          id,
          object: "text_completion",
          created,
          model,
          choices: texts.map((text, index) => ({
            index,
            text,
            finish_reason: "stop",
            logprobs: null,
          })),
          usage,
        };
      return {
        id,
        object: "chat.completion",
        created,
        model,
        choices: list.map((a, index) => {
          const tc = calls(a);
          return {
            index,
            finish_reason: tc.length ? "tool_calls" : "stop",
            message: {
              role: "assistant",
              content: tc.length && typeof a !== "string" && !a.content ? null : texts[index],
              ...(tc.length
                ? {
                    tool_calls: tc.map((c, i) => ({
                      id: `call_${answerNo}_${i}`,
                      type: "function",
                      function: { name: c.name, arguments: JSON.stringify(c.arguments) },
                    })),
                  }
                : {}),
            },
          };
        }),
        usage,
      };
    }
    if (protocol === "watsonx") {
      return {
        model_id: model,
        created_at: new Date().toISOString(),
        results: texts.map((t) => ({
          generated_text: t,
          generated_token_count: words(t),
          input_token_count: promptTokens,
          stop_reason: "eos_token",
        })),
      };
    }
    if (protocol === "anthropic") {
      const a = list[0]!;
      const content: unknown[] = [];
      if (texts[0]) content.push({ type: "text", text: texts[0] });
      for (const [i, c] of calls(a).entries())
        content.push({
          type: "tool_use",
          id: `toolu_${answerNo}_${i}`,
          name: c.name,
          input: c.arguments,
        });
      return {
        id,
        type: "message",
        role: "assistant",
        model,
        content,
        stop_reason: calls(a).length ? "tool_use" : "end_turn",
        stop_sequence: null,
        usage: { input_tokens: promptTokens, output_tokens: completionTokens },
      };
    }
    // Ollama
    const base = {
      model,
      created_at: new Date().toISOString(),
      done: true,
      done_reason: "stop",
      prompt_eval_count: promptTokens,
      eval_count: completionTokens,
      total_duration: 1,
      load_duration: 0,
      prompt_eval_duration: 0,
      eval_duration: 0,
    };
    if (!chat) return { ...base, response: texts[0] };
    const tc = calls(list[0]!);
    return {
      ...base,
      message: {
        role: "assistant",
        content: texts[0],
        ...(tc.length
          ? { tool_calls: tc.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) }
          : {}),
      },
    };
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  return {
    url,
    openaiBaseURL: `${url}/v1`,
    batchStats: () => ({ ...batches.stats, ids: [...batches.stats.ids] }),
    stats: () => ({
      ...stats,
      byPath: { ...stats.byPath },
      failuresInjected: { ...stats.failuresInjected },
      authHeaders: [...stats.authHeaders],
      requestHeaders: [...stats.requestHeaders],
    }),
    reset: () => {
      const inFlight = stats.inFlight;
      stats = emptyStats();
      stats.inFlight = inFlight;
      batches.resetStats();
      answerNo = 0;
      responseIdx = 0;
      queue = [];
      rng = mulberry32(opts.seed ?? 1);
    },
    configure: (partial) => {
      opts = { ...opts, ...partial };
      if (partial.failures) queue = expandFailures(partial.failures);
      if (partial.seed !== undefined) rng = mulberry32(partial.seed);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function expandFailures(failures: FakeLLMOptions["failures"]): FakeFailureKind[] {
  return (failures ?? []).flatMap((f) => Array.from({ length: f.count }, () => f.kind));
}

/** A small seeded PRNG so random failures are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
