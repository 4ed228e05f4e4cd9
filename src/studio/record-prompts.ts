import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { PromptCall, RecordPrompts } from "./api-types.js";

export type { PromptCall, RecordPrompts };

/** Fields every record has that say nothing of its content. */
const SKIPPED = new Set(["id", "task_name", "is_seed", "role", "type", "tool_call_id"]);
/** Text shorter than this is too common to tell requests apart. */
const MIN_NEEDLE = 16;
const MAX_NEEDLE = 120;
const NEEDLES = 4;
const MAX_CALLS = 10;

/**
 * The pieces of a record's text to look for in telemetry: from its longest string values, the
 * longest run of each without quotes, backslashes or control characters (those are escaped in
 * `traces.jsonl`, once or twice), so a piece is found in a span's JSON line as it is.
 *
 * @example
 * needlesOf({ answer: 'The capital of Peru is "Lima", by the sea' }) // ["The capital of Peru is"]
 */
export function needlesOf(record: unknown): string[] {
  const texts: string[] = [];
  const walk = (v: unknown, key: string | undefined): void => {
    if (key !== undefined && SKIPPED.has(key)) return;
    if (typeof v === "string") texts.push(v);
    else if (Array.isArray(v)) for (const x of v) walk(x, undefined);
    else if (v !== null && typeof v === "object")
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, k);
  };
  walk(record, undefined);
  const pieces = new Set<string>();
  for (const text of texts) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are escaped in JSON
    const runs = text.split(/["\\\u0000-\u001f\u2028\u2029]/);
    const longest = runs.reduce((a, b) => (b.trim().length > a.length ? b.trim() : a), "");
    if (longest.length >= MIN_NEEDLE) pieces.add(longest.slice(0, MAX_NEEDLE));
  }
  return [...pieces].sort((a, b) => b.length - a.length).slice(0, NEEDLES);
}

function payloadText(v: unknown): string {
  return typeof v === "string" ? v : v === undefined ? "" : JSON.stringify(v);
}

/** A payload as recorded (JSON text when it was a list or object), parsed back when it parses. */
function parsedPayload(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trimStart();
  if (!t.startsWith("[") && !t.startsWith("{")) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

function callOf(span: Record<string, unknown>): PromptCall {
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  return {
    spanId: String(span.span_id ?? ""),
    runId: String(span.run_id ?? ""),
    startTime: String(span.start_time ?? ""),
    durationMs: num(span.duration_ms),
    provider: String(span.provider ?? ""),
    model: String(span.model_id ?? ""),
    status: String(span.status ?? ""),
    promptTokens: num(span.prompt_tokens),
    completionTokens: num(span.completion_tokens),
    input: parsedPayload(span.messages ?? span.prompt),
    completion: parsedPayload(span.completion),
    truncated: span.payload_truncated === true,
  };
}

/**
 * The LLM requests telemetry recorded for a record: the `dgt.llm_call` spans of its task, in a
 * `traces.jsonl` written with `DGT_TELEMETRY_RECORD_PAYLOADS=1`, whose completion holds the
 * record's text (`produced`: the answers it was made from) or, failing that, whose prompt holds
 * its longest text (`usedIn`: requests that showed it, e.g. as an example). Builders make records from answers
 * in their own code, so the link is the text itself: a piece of each of the record's longest
 * strings (see `needlesOf`). At most 10 requests of each kind, newest run first.
 *
 * @example
 * const found = await recordPrompts("telemetry/traces.jsonl", "qa", { answer: "The land of ..." });
 * for (const call of found.produced) console.log(call.input, call.completion);
 */
export async function recordPrompts(
  tracesFile: string,
  taskName: string,
  record: unknown,
): Promise<RecordPrompts> {
  const found: RecordPrompts = { telemetry: false, payloads: 0, produced: [], usedIn: [] };
  if (!(await stat(tracesFile).catch(() => undefined))?.isFile()) return found;
  found.telemetry = true;
  const needles = needlesOf(record);
  const task = JSON.stringify(taskName);
  const lines = createInterface({ input: createReadStream(tracesFile), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.includes('"dgt.llm_call"') || !line.includes(task)) continue;
    const hasPayload = line.includes('"messages":') || line.includes('"prompt":');
    if (hasPayload) found.payloads += 1;
    if (!hasPayload || !needles.some((n) => line.includes(n))) continue;
    let span: Record<string, unknown>;
    try {
      span = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const names = Array.isArray(span.task_names) ? span.task_names : [];
    if (span.span_name !== "dgt.llm_call" || !names.includes(taskName)) continue;
    const completion = payloadText(span.completion);
    const input = payloadText(span.messages ?? span.prompt);
    if (needles.some((n) => completion.includes(n))) found.produced.push(callOf(span));
    // Only the longest piece counts in a prompt: shorter ones (a system prompt every record
    // shares) would match every request.
    else if (input.includes(needles[0] ?? "\u0000")) found.usedIn.push(callOf(span));
  }
  // The file is in time order: the newest requests are last.
  found.produced = found.produced.reverse().slice(0, MAX_CALLS);
  found.usedIn = found.usedIn.reverse().slice(0, MAX_CALLS);
  return found;
}
