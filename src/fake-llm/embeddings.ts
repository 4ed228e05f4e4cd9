import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";
import { send } from "./http.js";

/** Vector size when a request does not ask for one (OpenAI's `dimensions`). */
export const DEFAULT_EMBEDDING_DIMENSIONS = 64;

/**
 * The fake server's embedding of a text: each lower-cased word hashed to a signed slot, then
 * L2-normalised. Deterministic, and texts sharing words get similar vectors, so similarity
 * searches behave plausibly; it is not a language model.
 *
 * @example
 * fakeEmbedding("order status", 8).length // 8
 */
export function fakeEmbedding(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const h = createHash("sha256").update(w).digest();
    v[h.readUInt32LE(0) % dims]! += h[4]! & 1 ? 1 : -1;
  }
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

/**
 * Answer an embeddings request: OpenAI's `POST /v1/embeddings` (`{model, input, dimensions?}`
 * → `{data: [{embedding, index}], usage}`) or Ollama's `POST /api/embed` (`{model, input}` →
 * `{embeddings}`). `input` is a string or a list of strings.
 *
 * @example
 * if (path === "/v1/embeddings") return answerEmbeddings(res, "openai", body);
 */
export function answerEmbeddings(
  res: ServerResponse,
  protocol: "openai" | "ollama",
  body: Record<string, unknown>,
): void {
  const input = body.input;
  const texts =
    typeof input === "string"
      ? [input]
      : Array.isArray(input) && input.every((x) => typeof x === "string")
        ? (input as string[])
        : undefined;
  if (!texts) {
    send(res, 400, { error: { message: "'input' must be a string or a list of strings" } });
    return;
  }
  const dims =
    typeof body.dimensions === "number" && body.dimensions > 0
      ? Math.floor(body.dimensions)
      : DEFAULT_EMBEDDING_DIMENSIONS;
  const vectors = texts.map((t) => fakeEmbedding(t, dims));
  const model = String(body.model ?? "fake-embeddings");
  const tokens = texts.reduce((s, t) => s + (t.match(/\S+/g) ?? []).length, 0);
  if (protocol === "ollama") {
    send(res, 200, { model, embeddings: vectors, prompt_eval_count: tokens });
    return;
  }
  send(res, 200, {
    object: "list",
    model,
    data: vectors.map((embedding, index) => ({ object: "embedding", index, embedding })),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
