import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import type { FakeAnswer, FakeLLMOptions } from "./server.js";

/**
 * Read a script file (YAML or JSON) for the fake server:
 *
 * ```yaml
 * latency_ms: 200          # optional, like the CLI flags
 * cap: 64
 * responses:               # templates used in turn; {{n}} = answer number, {{prompt}} = prompt
 *   - "Question: What is the capital of country {{n}}?\nAnswer: City {{n}}"
 * rules:                   # tried first: regex on the prompt (last message for chat) → answer
 *   - match: "rate the following"
 *     response: "Rating: 5"
 *   - match: "weather"
 *     response: { tool_calls: [{ name: get_weather, arguments: { city: Paris } }] }
 * ```
 *
 * @example
 * const options = await loadScript("fake.yaml");
 */
export async function loadScript(path: string): Promise<FakeLLMOptions> {
  const doc = (parse(await readFile(path, "utf8")) ?? {}) as Record<string, unknown>;
  const out: FakeLLMOptions = {};
  if (Array.isArray(doc.responses)) out.responses = doc.responses.map(String);
  if (Array.isArray(doc.rules)) {
    out.rules = doc.rules.map((r) => {
      const rule = r as { match?: unknown; response?: unknown };
      if (typeof rule.match !== "string") throw new Error(`${path}: every rule needs 'match' (a regular expression)`);
      return { match: new RegExp(rule.match, "i"), response: rule.response as FakeAnswer };
    });
  }
  if (typeof doc.latency_ms === "number") out.latencyMs = doc.latency_ms;
  if (typeof doc.jitter_ms === "number") out.jitterMs = doc.jitter_ms;
  if (typeof doc.cap === "number") out.cap = doc.cap;
  if (typeof doc.api_key === "string") out.apiKey = doc.api_key;
  if (typeof doc.retry_after_ms === "number") out.retryAfterMs = doc.retry_after_ms;
  return out;
}
