import { parseJsonLoose } from "../../../util/json-loose.js";
import { violations } from "../../../util/json-schema.js";
import type { Row } from "../../../util/mapping.js";
import { isObj } from "../../../util/mapping.js";

/**
 * What one tool-call check looks at (DiGiT's TCValidatorData).
 *
 * @example
 * const c: ToolCallCheck = { tools, answer: '[{"name": "add", "arguments": {"a": 1}}]',
 *   question: "add 1", check_arg_question_overlap: true, require_nested: false,
 *   allow_nested: false, multi_output: false, validate_question: true, ignore_types: ["boolean"] };
 */
export interface ToolCallCheck {
  /** Available tools as DiGiT dicts (name, parameters, output_parameters). */
  tools: Row[];
  /** The calls as JSON text: a list of {name, arguments, id?}. */
  answer: string;
  question: string;
  check_arg_question_overlap: boolean;
  require_nested: boolean;
  allow_nested: boolean;
  multi_output: boolean;
  validate_question: boolean;
  ignore_types: string[];
}

/**
 * The verdict: valid, or the reason (DiGiT's reason strings) with details.
 *
 * @example
 * const v: CallVerdict = { valid: false, reason: "Hallucinated argument name" };
 */
export interface CallVerdict {
  valid: boolean;
  reason?: string;
  metadata?: Row;
}

const NUMBERS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
];

/**
 * Normalise for comparisons: letters, digits and spaces, lower-cased.
 *
 * @example
 * normalizeText("New-York!") // "newyork"
 */
export function normalizeText(v: unknown): string {
  const s = String(v);
  const n = [...s]
    .filter((c) => /[\p{L}\p{N} ]/u.test(c))
    .join("")
    .toLowerCase();
  return n || s.toLowerCase();
}

/**
 * Check tool calls against the tools' schemas and, optionally, the question they answer: known
 * tools only, no duplicates, only {name, arguments, id} keys, arguments that fit the schema and
 * are named in it, argument values found in the question (unless nested references or ignored
 * types), nested references ("$1.field") only to earlier calls' output fields.
 *
 * @example
 * checkToolCalls({ ...c, answer: '[{"name": "nope", "arguments": {}}]' }).reason
 * // "Unrecognized/unavailable tool[s]"
 */
export function checkToolCalls(c: ToolCallCheck): CallVerdict {
  const calls = parseJsonLoose(c.answer);
  if (calls === undefined) return { valid: false, reason: "Failed to parse tool call[s]" };
  if (!Array.isArray(calls) || calls.some((x) => !isObj(x)))
    return { valid: false, reason: "Malformed tool call[s]" };
  const tcs = calls as Row[];
  const names = new Set(c.tools.map((t) => String(t.name)));
  const ids = tcs.filter((t) => t.id).map((t) => String(t.id));
  if (
    new Set(tcs.map((t) => JSON.stringify(t))).size !== tcs.length ||
    new Set(ids).size !== ids.length
  ) {
    return { valid: false, reason: "Duplicate tool call[s]" };
  }
  if (c.validate_question) {
    const words = c.question.split(/\s+/).map(normalizeText);
    for (const name of names) {
      if (
        words.includes(normalizeText(name)) ||
        (c.question.includes("{") &&
          (c.question.includes('name": ') || c.question.includes(`${name}": `)))
      ) {
        return { valid: false, reason: "Question contains tool call[s]" };
      }
    }
  }
  if (c.multi_output && new Set(tcs.map((t) => JSON.stringify(t))).size <= 1)
    return { valid: false, reason: "Expected multiple tool calls" };
  if (tcs.some((t) => !names.has(String(t.name))))
    return { valid: false, reason: "Unrecognized/unavailable tool[s]" };
  const allowNested = c.require_nested || c.allow_nested;
  let hasNested = false;
  for (const [idx, tc] of tcs.entries()) {
    if (Object.keys(tc).some((k) => !["name", "arguments", "id"].includes(k)))
      return {
        valid: false,
        reason: "Malformed tool call with additional keys",
        metadata: { tool_call: tc },
      };
    if (!("name" in tc) || !("arguments" in tc))
      return {
        valid: false,
        reason: 'Missing mandatory field[s] ("name", "arguments")',
        metadata: { tool_call: tc },
      };
    const tool = c.tools.find((t) => t.name === tc.name)!;
    const params = isObj(tool.parameters) ? tool.parameters : {};
    const args = tc.arguments;
    let bad: ReturnType<typeof violations>;
    try {
      bad = violations(params, args, `tool '${String(tool.name)}' parameters`);
    } catch {
      return { valid: false, reason: "Parameter validation error", metadata: { tool_call: tc } };
    }
    const real = bad.filter(
      (v) =>
        !(
          allowNested &&
          typeof v.value === "string" &&
          ids.some((id) => (v.value as string).startsWith(id))
        ),
    );
    if (real.length)
      return {
        valid: false,
        reason: "Parameter validation error",
        metadata: { tool_call: tc, error: `${real[0]!.path || "arguments"} ${real[0]!.message}` },
      };
    if (!isObj(args))
      return { valid: false, reason: "Malformed arguments", metadata: { tool_call: tc } };
    const props = isObj(params.properties) ? params.properties : {};
    for (const [name, value] of Object.entries(args)) {
      if (!(name in props))
        return {
          valid: false,
          reason: "Hallucinated argument name",
          metadata: { tool_call: tc, argument_name: name },
        };
      if (nestedMatch(value, tcs.slice(idx), c.tools))
        return { valid: false, reason: "Nested future tool call reference failure" };
      const nested = nestedMatch(value, tcs.slice(0, idx), c.tools);
      hasNested ||= nested;
      const type = isObj(props[name]) ? (props[name] as Row).type : undefined;
      if (
        c.check_arg_question_overlap &&
        !nested &&
        !c.ignore_types.includes(String(type)) &&
        !(c.ignore_types.includes("date") && isDateLike(value)) &&
        !overlaps(value, c.question)
      ) {
        return {
          valid: false,
          reason: "Hallucinated argument value",
          metadata: { tool_call: tc, argument_value: value as never },
        };
      }
      if (!nested && indirectReference(value, tcs, c.tools))
        return { valid: false, reason: `Indirect variable reference ${JSON.stringify(value)}` };
    }
  }
  const valid = (!hasNested && !c.require_nested) || (hasNested && allowNested);
  return valid ? { valid } : { valid, reason: "Nested tool call validation failed" };
}

function outputFields(tools: Row[], name: unknown): string[] {
  const t = tools.find((x) => x.name === name);
  const out = t && isObj(t.output_parameters) ? t.output_parameters : {};
  return isObj(out.properties) ? Object.keys(out.properties) : [];
}

function strings(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (isObj(v)) return Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]);
  return [];
}

function nestedMatch(value: unknown, calls: Row[], tools: Row[]): boolean {
  return calls.some(
    (tc) =>
      tc.id != null &&
      outputFields(tools, tc.name).some((f) =>
        strings(value).some((s) => !s.includes(" ") && s.startsWith(`${String(tc.id)}.${f}`)),
      ),
  );
}

function indirectReference(value: unknown, calls: Row[], tools: Row[]): boolean {
  return strings(value).some((s) =>
    calls.some((tc) => {
      if (tc.id == null) return false;
      const fields = outputFields(tools, tc.name);
      const mentions = s.includes(`${String(tc.id)}.`) || fields.some((f) => s.includes(`.${f}`));
      const exact = fields.some((f) => s.startsWith(`${String(tc.id)}.${f}`) && !s.includes(" "));
      return mentions && !exact;
    }),
  );
}

function isDateLike(v: unknown): boolean {
  return (
    typeof v === "string" &&
    v.length < 50 &&
    (/\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d{2}|\d{1,2}\/\d{1,2}/.test(v) ||
      (/[a-z]/i.test(v) && !Number.isNaN(Date.parse(v))))
  );
}

function overlaps(value: unknown, question: string): boolean {
  const nq = normalizeText(question);
  const check = (v: unknown): boolean => {
    if (Array.isArray(v)) return v.every(check);
    if (isObj(v)) return Object.values(v).every(check);
    if (question.includes(String(v))) return true;
    if (
      typeof v === "number" &&
      Number.isInteger(v) &&
      v >= 0 &&
      v <= 10 &&
      nq.includes(NUMBERS[v]!)
    )
      return true;
    return nq.includes(normalizeText(v));
  };
  return String(value) !== "" && check(value);
}
