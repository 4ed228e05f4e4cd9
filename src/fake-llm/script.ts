/**
 * Script files of the fake LLM server (`digit fake-llm --script fake.yaml`).
 */
import { positionOf } from "../config/source-map.js";
import { readYamlFile } from "../config/yaml.js";
import { ConfigError } from "../errors.js";
import type { FakeAnswer, FakeLLMOptions } from "./types.js";

const NUMBER_KEYS = {
  latency_ms: "latencyMs",
  jitter_ms: "jitterMs",
  cap: "cap",
  retry_after_ms: "retryAfterMs",
} as const;
const KNOWN_KEYS = new Set(["responses", "rules", "api_key", ...Object.keys(NUMBER_KEYS)]);
const HINT = "see docs/fake-llm.md for the script format";

/**
 * Read a script file (YAML or JSON) for the fake server:
 *
 * ```yaml
 * latency_ms: 200          # optional, like the command's options
 * cap: 64
 * responses:               # templates used in turn; {{n}} = answer number, {{prompt}} = prompt
 *   - "Question: What is the capital of country {{n}}?\nAnswer: City {{n}}"
 * rules:                   # tried first: regex on the prompt (last message for chat) → answer
 *   - match: "rate the following"
 *     response: "Rating: 5"
 *   - match: "weather"
 *     tools: true          # optional: only requests that offer tools (false: that offer none)
 *     response: { tool_calls: [{ name: get_weather, arguments: { city: "{{prompt}}" } }] }
 * ```
 *
 * A file that is not such a mapping, an unknown key, a rule without `match` (a valid regular
 * expression) or `response` is a `ConfigError` naming the file and line.
 *
 * @example
 * const options = await loadScript("fake.yaml");
 */
export async function loadScript(path: string): Promise<FakeLLMOptions> {
  const doc = readYamlFile(path, "fake LLM script") ?? {};
  const at = (obj: unknown, key?: string | number) => ({
    file: path,
    line: positionOf(obj, key)?.line,
    hint: HINT,
  });
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new ConfigError(
      "a fake LLM script must be a mapping (responses, rules, latency_ms, ...)",
      at(doc),
    );
  const script = doc as Record<string, unknown>;
  for (const key of Object.keys(script)) {
    if (!KNOWN_KEYS.has(key))
      throw new ConfigError(
        `unknown key '${key}' in the fake LLM script (known: ${[...KNOWN_KEYS].join(", ")})`,
        at(script, key),
      );
  }
  const out: FakeLLMOptions = {};
  if (script.responses !== undefined) {
    if (!Array.isArray(script.responses) || script.responses.some((r) => typeof r !== "string"))
      throw new ConfigError(
        "'responses' must be a list of answer templates (strings)",
        at(script, "responses"),
      );
    out.responses = script.responses as string[];
  }
  if (script.rules !== undefined) {
    if (!Array.isArray(script.rules))
      throw new ConfigError("'rules' must be a list of {match, response}", at(script, "rules"));
    out.rules = script.rules.map((r: unknown, i) => readRule(r, at(script.rules, i)));
  }
  for (const [key, option] of Object.entries(NUMBER_KEYS)) {
    const v = script[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new ConfigError(`'${key}' must be a number, 0 or more`, at(script, key));
    out[option] = v;
  }
  if (script.api_key !== undefined) {
    if (typeof script.api_key !== "string")
      throw new ConfigError("'api_key' must be a string", at(script, "api_key"));
    out.apiKey = script.api_key;
  }
  return out;
}

function readRule(
  rule: unknown,
  where: { file: string; line: number | undefined; hint: string },
): { match: RegExp; response: FakeAnswer; tools?: boolean } {
  const r = (rule ?? {}) as { match?: unknown; response?: unknown; tools?: unknown };
  if (typeof r.match !== "string")
    throw new ConfigError(
      "every rule needs 'match' (a regular expression, matched case-insensitively against the prompt)",
      where,
    );
  let match: RegExp;
  try {
    match = new RegExp(r.match, "i");
  } catch (e) {
    throw new ConfigError(
      `rule 'match' is not a valid regular expression: ${(e as Error).message}`,
      where,
    );
  }
  const response = r.response;
  const isToolAnswer =
    typeof response === "object" && response !== null && !Array.isArray(response);
  if (typeof response !== "string" && !isToolAnswer)
    throw new ConfigError(
      "every rule needs 'response' (a template, or {content, tool_calls})",
      where,
    );
  if (r.tools !== undefined && typeof r.tools !== "boolean")
    throw new ConfigError(
      "rule 'tools' must be true (only requests that offer tools) or false (only those that offer none)",
      where,
    );
  return {
    match,
    response: response as FakeAnswer,
    ...(r.tools !== undefined ? { tools: r.tools } : {}),
  };
}
