import { createHash } from "node:crypto";
import { z } from "zod";
import { ConfigError } from "../../errors.js";

/**
 * Where embeddings come from (`provider:` of the embeddings and neighbors enrichments, and of
 * search engines with `embeddings`): an OpenAI-compatible `/v1/embeddings`, Ollama's
 * `/api/embed`, or `mock`, an offline test double (hashed bag of words, not a language model).
 *
 * @example
 * provider: { type: openai, base_url: http://127.0.0.1:8000/v1, model_id_or_path: bge-small }
 */
export const embeddingsProviderSchema = z.object({
  type: z
    .enum(["openai", "ollama", "mock"])
    .describe("openai (/v1/embeddings), ollama (/api/embed) or mock"),
  model_id_or_path: z
    .string()
    .min(1)
    .optional()
    .describe("The embeddings model (default: the enrichment's model)"),
  base_url: z
    .string()
    .min(1)
    .optional()
    .describe("Endpoint root: .../v1 for openai, the server for ollama"),
  api_key: z.string().optional().describe("Bearer key for openai-compatible endpoints"),
  batch_size: z.number().int().min(1).default(128).describe("Texts per request"),
  timeout: z.number().positive().default(60).describe("Seconds per request"),
  dimensions: z.number().int().min(8).default(128).describe("Vector size of the mock"),
});

/**
 * A parsed provider config.
 *
 * @example
 * const p: EmbeddingsProvider = embeddingsProviderSchema.parse({ type: "mock" });
 */
export type EmbeddingsProvider = z.infer<typeof embeddingsProviderSchema>;

/**
 * One embeddings request a run sent: what the run's metrics, cost and telemetry count.
 *
 * @example
 * const r: EmbeddingsRequest = { provider: "openai", model: "bge", texts: 8, prompt_tokens: 40,
 *   ok: true, latency_ms: 12 };
 */
export interface EmbeddingsRequest {
  provider: string;
  model: string;
  texts: number;
  /** Tokens the endpoint reported (0 when it reports none). */
  prompt_tokens: number;
  ok: boolean;
  error?: string | undefined;
  latency_ms: number;
}

/**
 * Told of every embeddings request (not of the offline mock, which sends none).
 *
 * @example
 * const meter: EmbeddingsMeter = (r) => console.log(r.model, r.prompt_tokens);
 */
export type EmbeddingsMeter = (request: EmbeddingsRequest) => void;

/**
 * Embed texts, in order; vectors are L2-normalised so a dot product is the cosine. `meter` is told
 * of every request sent.
 *
 * @example
 * const [v] = await embedTexts({ type: "mock", batch_size: 128, timeout: 60, dimensions: 256 },
 *   "m", ["hello"]);
 */
export async function embedTexts(
  p: EmbeddingsProvider,
  model: string,
  texts: string[],
  meter?: EmbeddingsMeter,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += p.batch_size) {
    const chunk = texts.slice(i, i + p.batch_size);
    const vecs =
      p.type === "mock"
        ? chunk.map((t) => hashedBagOfWords(t, p.dimensions))
        : await metered(p, p.model_id_or_path ?? model, chunk, meter);
    if (vecs.length !== chunk.length)
      throw new Error(
        `embeddings endpoint returned ${vecs.length} vectors for ${chunk.length} texts`,
      );
    out.push(...vecs.map(normalise));
  }
  return out;
}

/** A remote request, told to `meter` with its tokens, outcome and latency. */
async function metered(
  p: EmbeddingsProvider,
  model: string,
  input: string[],
  meter: EmbeddingsMeter | undefined,
): Promise<Float32Array[]> {
  const started = performance.now();
  const report = (ok: boolean, prompt_tokens: number, error?: string) =>
    meter?.({
      provider: p.type,
      model,
      texts: input.length,
      prompt_tokens,
      ok,
      ...(error === undefined ? {} : { error }),
      latency_ms: Math.round(performance.now() - started),
    });
  try {
    const { vectors, tokens } = await remote(p, model, input);
    report(true, tokens);
    return vectors;
  } catch (e) {
    report(false, 0, e instanceof Error ? e.message : String(e));
    throw e;
  }
}

async function remote(
  p: EmbeddingsProvider,
  model: string,
  input: string[],
): Promise<{ vectors: Float32Array[]; tokens: number }> {
  if (!p.base_url)
    throw new ConfigError(`embeddings provider '${p.type}' has no base_url`, {
      hint: "set provider.base_url, e.g. http://127.0.0.1:11434 for Ollama",
    });
  const root = p.base_url.replace(/\/+$/, "");
  const url = p.type === "openai" ? `${root}/embeddings` : `${root}/api/embed`;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (p.api_key) headers.authorization = `Bearer ${p.api_key}`;
  const res = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ model, input }),
    signal: AbortSignal.timeout(p.timeout * 1000),
  });
  const body = (await res.json().catch(() => ({}))) as {
    data?: { embedding: number[]; index?: number }[];
    embeddings?: number[][];
    usage?: { prompt_tokens?: unknown };
    prompt_eval_count?: unknown;
    error?: unknown;
  };
  if (!res.ok)
    throw new Error(
      `embeddings request to ${url} failed with HTTP ${res.status}: ${JSON.stringify(body.error ?? body).slice(0, 200)}`,
    );
  const reported = p.type === "openai" ? body.usage?.prompt_tokens : body.prompt_eval_count;
  const tokens = typeof reported === "number" && Number.isFinite(reported) ? reported : 0;
  if (p.type === "openai") {
    const data = [...(body.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return { vectors: data.map((d) => Float32Array.from(d.embedding)), tokens };
  }
  return { vectors: (body.embeddings ?? []).map((e) => Float32Array.from(e)), tokens };
}

/**
 * The mock's vector: each lower-cased word hashed to a signed slot (feature hashing).
 *
 * @example
 * hashedBagOfWords("get weather", 64).length // 64
 */
export function hashedBagOfWords(text: string, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    const h = createHash("md5").update(w).digest();
    v[h.readUInt32LE(0) % dims]! += h[4]! & 1 ? 1 : -1;
  }
  return v;
}

function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  return v.map((x) => x / n);
}

/**
 * Dot product of two vectors of the same length.
 *
 * @example
 * dot(Float32Array.of(1, 0), Float32Array.of(1, 0)) // 1
 */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
