import type { RunObserver } from "../../telemetry/observer.js";
import type { Telemetry } from "../../telemetry/telemetry.js";
import type { EmbeddingsMeter } from "./client.js";

/**
 * A meter that counts the embeddings requests made for tasks like their LLM requests: each goes to
 * the run's observer as an LLM call of `block` (requests, prompt tokens, failures; cost by the
 * embeddings model's price) and to telemetry as a `dgt.llm_call` span with method `embeddings`.
 *
 * @example
 * const meter = runEmbeddingsMeter({ observer: metrics, telemetry }, ["my/task"], "search");
 * await embedTexts(provider, model, texts, meter);
 */
export function runEmbeddingsMeter(
  run: { observer?: RunObserver | undefined; telemetry?: Telemetry | undefined },
  taskNames: readonly string[],
  block: string,
): EmbeddingsMeter {
  return (r) => {
    run.observer?.llmCall?.({
      block,
      provider: r.provider,
      model: r.model,
      task_names: [...taskNames],
      prompt_tokens: r.prompt_tokens,
      completion_tokens: 0,
      ok: r.ok,
      ...(r.ok ? {} : { error_kind: "other" }),
      retries: 0,
      latency_ms: r.latency_ms,
      semaphore_wait_ms: 0,
    });
    const span = run.telemetry?.startSpan("dgt.llm_call", {
      block,
      provider: r.provider,
      model_id: r.model,
      method: "embeddings",
      batch_size: r.texts,
      task_names: [...taskNames],
    });
    span?.set({ prompt_tokens: r.prompt_tokens, completion_tokens: 0, latency_ms: r.latency_ms });
    span?.end(r.ok ? "ok" : "error", r.ok ? undefined : new Error(r.error ?? "failed"));
  };
}
