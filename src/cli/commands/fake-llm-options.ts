import { InvalidArgumentError } from "commander";
import type { OptionSpec } from "../option-spec.js";

// Kept apart from fake-llm.ts so that the command table (and `digit --help`) loads no server code.

/** The failures `--failure-kinds` may name. */
export const FAILURE_KINDS = [
  "500",
  "503",
  "429",
  "401",
  "hang",
  "malformed",
  "reset",
  "short",
] as const;

/** Parse `--failure-rate`: a probability in [0, 1]. */
function probability(value: string): number {
  const p = /^\d*\.?\d+$/.test(value) ? Number(value) : NaN;
  if (!(p >= 0 && p <= 1))
    throw new InvalidArgumentError("expected a probability between 0 and 1, e.g. 0.1");
  return p;
}

/** Parse `--failure-kinds`: a comma list of known failure kinds. */
function failureKinds(value: string): string[] {
  const kinds = value
    .split(",")
    .map((k) => k.trim())
    .filter(Boolean);
  const unknown = kinds.filter((k) => !(FAILURE_KINDS as readonly string[]).includes(k));
  if (kinds.length === 0 || unknown.length)
    throw new InvalidArgumentError(
      `expected a comma list of ${FAILURE_KINDS.join(", ")}${unknown.length ? ` (not: ${unknown.join(", ")})` : ""}`,
    );
  return kinds;
}

/** Collect a repeatable option whose values may contain commas (answer templates). */
function collect(value: string, previous: unknown): string[] {
  return [...(Array.isArray(previous) ? (previous as string[]) : []), value];
}

/**
 * Options of `digit fake-llm` (declared as data, like every command's). They have no parser
 * defaults so that a `--script` file's settings apply unless a flag is given; the defaults are in
 * the descriptions and in fake-llm.ts.
 */
export const FAKE_LLM_OPTIONS: readonly OptionSpec[] = [
  {
    flags: "--port <n>",
    key: "port",
    description: "port on 127.0.0.1 to listen on; 0 picks a free one (default 8000)",
    integer: { min: 0 },
  },
  {
    flags: "--response <template>",
    key: "response",
    description:
      "answer template, repeatable (used in turn, instead of the built-in answers); {{n}} = answer number, {{prompt}} = prompt or last message, {{words}} = six varying words",
    parse: collect,
  },
  {
    flags: "--script <file>",
    key: "script",
    description:
      "YAML/JSON file of rules (regex on the prompt → answer) and responses, instead of the built-in answers (see docs/fake-llm.md)",
  },
  {
    flags: "--latency-ms <n>",
    key: "latencyMs",
    description: "delay before each answer, ms (default 0)",
    integer: { min: 0 },
  },
  {
    flags: "--jitter-ms <n>",
    key: "jitterMs",
    description: "extra random delay up to this, ms (default 0)",
    integer: { min: 0 },
  },
  {
    flags: "--cap <n>",
    key: "cap",
    description: "requests served at once; above it 429 with Retry-After (default 0 = no cap)",
    integer: { min: 0 },
  },
  {
    flags: "--retry-after-ms <n>",
    key: "retryAfterMs",
    description: "wait the 429s ask for, ms (default 100)",
    integer: { min: 0 },
  },
  {
    flags: "--api-key <key>",
    key: "apiKey",
    description: "require this API key (other keys get 401)",
  },
  {
    flags: "--failure-rate <p>",
    key: "failureRate",
    description: "probability (0 to 1) that a request gets an injected failure (default 0)",
    parse: probability,
  },
  {
    flags: "--failure-kinds <list>",
    key: "failureKinds",
    description: `comma list of injected failures to draw from: ${FAILURE_KINDS.join(", ")} (default 500)`,
    parse: failureKinds,
  },
  {
    flags: "--seed <n>",
    key: "seed",
    description: "seed of the injected failures and jitter (default 1)",
    integer: { min: 0 },
  },
  {
    flags: "--batch-delay-ms <n>",
    key: "batchDelayMs",
    description:
      "time from a batch's creation (OpenAI /v1/batches, Anthropic Message Batches) until it ends, ms (default 0)",
    integer: { min: 0 },
  },
  {
    flags: "--batch-fail-every <k>",
    key: "batchFailEvery",
    description: "every k-th request of a batch fails inside the batch (default: none)",
    integer: { min: 1 },
  },
];
