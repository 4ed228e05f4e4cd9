import { randomUUID } from "node:crypto";
import type { Row } from "digit-sdg";

/**
 * One step of a conversation (DiGiT's Step and its typed subclasses, as plain JSON).
 *
 * @example
 * const s: Step = makeStep("user", "Hi", "lm/user/guided");
 */
export interface Step extends Row {
  role: string;
  content: unknown;
  stage_name: string | null;
  scores: Row | null;
  metadata: Row;
}

/**
 * A conversation record (DiGiT's ConversationDataPoint).
 *
 * @example
 * const c: Conversation = blankConversation("public/examples/chit_chat");
 */
export interface Conversation extends Row {
  task_name: string;
  is_seed: boolean;
  conversation_id: string;
  steps: Step[];
  branch_point: unknown;
  outcome_reward: unknown;
  outcome_reward_breakdown: unknown;
}

/**
 * Keys of a conversation record after the framework fields.
 *
 * @example
 * static override outputFields = [...CONVERSATION_FIELDS];
 */
export const CONVERSATION_FIELDS = [
  "conversation_id",
  "steps",
  "branch_point",
  "outcome_reward",
  "outcome_reward_breakdown",
] as const;

/**
 * A blank conversation of a task, with a fresh id.
 *
 * @example
 * blankConversation("public/examples/chit_chat").steps // []
 */
export function blankConversation(taskName: string): Conversation {
  return {
    task_name: taskName,
    is_seed: false,
    conversation_id: randomUUID(),
    steps: [],
    branch_point: null,
    outcome_reward: null,
    // DiGiT's default is an empty mapping (a dict field), not None.
    outcome_reward_breakdown: {},
  };
}

/**
 * A step with DiGiT's common fields first, then the role's own fields.
 *
 * @example
 * makeStep("user", "Hi!", "lm/user/guided")
 */
export function makeStep(
  role: string,
  content: unknown,
  stageName: string | null,
  extra: Row = {},
): Step {
  return { role, content, stage_name: stageName, scores: null, metadata: {}, ...extra };
}

/** Step role → the role it specialises (DiGiT's step subclasses, e.g. rag/scenario → scenario). */
const STEP_PARENTS = new Map<string, string>();

/**
 * Declare a step role that specialises another (DiGiT's `register_step` of a Step subclass): a
 * `rag/scenario` step is also a `scenario` step for `lastStep(c, "scenario")`, so stages that read
 * the scenario see it, while stages that ask for `rag/scenario` see only the specialised steps.
 *
 * @example
 * registerStepRole("rag/scenario", "scenario");
 */
export function registerStepRole(role: string, parent: string): void {
  if (role === parent) return;
  STEP_PARENTS.set(role, parent);
}

/**
 * Whether a step role is `role` or specialises it (through any number of registered parents).
 *
 * @example
 * isStepRole("rag/scenario", "scenario") // true once registered
 */
export function isStepRole(actual: unknown, role: string): boolean {
  let r = typeof actual === "string" ? actual : undefined;
  for (let depth = 0; r !== undefined && depth < 16; depth++) {
    if (r === role) return true;
    r = STEP_PARENTS.get(r);
  }
  return false;
}

/**
 * The last step of `role` (or of a role that specialises it), if any.
 *
 * @example
 * lastStep(conversation, "flow_controller")?.terminate
 */
export function lastStep(conv: { steps: readonly Row[] }, role: string): Step | undefined {
  for (let i = conv.steps.length - 1; i >= 0; i--)
    if (isStepRole(conv.steps[i]!.role, role)) return conv.steps[i] as Step;
  return undefined;
}

/**
 * The text of the last scenario step ("" when there is none).
 *
 * @example
 * scenarioText(conversation) // "A gardener wants to chat about tomatoes."
 */
export function scenarioText(conv: { steps: readonly Row[] }): string {
  const s = lastStep(conv, "scenario");
  return s ? text(s.content) : "";
}

/**
 * How many user steps a conversation has.
 *
 * @example
 * userTurns(conversation) // 2 after two user messages
 */
export function userTurns(conv: { steps: readonly Row[] }): number {
  return conv.steps.filter((s) => s.role === "user").length;
}

/**
 * Steps as OpenAI chat messages: user/assistant text, tool calls with JSON-string arguments, tool
 * results (error, or JSON for non-strings). Other roles are not part of the dialogue.
 *
 * @example
 * toMessages([makeStep("user", "Hi", null)]) // [{ role: "user", content: "Hi" }]
 */
export function toMessages(
  steps: readonly Row[],
): { role: string; content: string | null; [k: string]: unknown }[] {
  const out: { role: string; content: string | null; [k: string]: unknown }[] = [];
  for (const s of steps) {
    if (s.role === "user" || s.role === "assistant")
      out.push({ role: s.role, content: text(s.content) });
    else if (s.role === "tool_call") {
      const c = (s.content ?? {}) as Row;
      out.push({
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: String(c.id ?? c.call_id ?? ""),
            type: "function",
            function: {
              name: String(c.name ?? ""),
              arguments:
                typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments ?? {}),
            },
          },
        ],
      });
    } else if (s.role === "tool_result") {
      const c = (s.content ?? {}) as Row;
      const value = c.error != null ? { error: c.error } : c.result;
      out.push({
        role: "tool",
        tool_call_id: String(c.call_id ?? c.id ?? ""),
        content: typeof value === "string" ? value : JSON.stringify(value ?? null),
      });
    }
  }
  return out;
}

/**
 * Steps as a plain transcript ("User: …", "Assistant: …", tool calls and results on their own lines).
 *
 * @example
 * toTranscript([makeStep("user", "Hi", null), makeStep("assistant", "Hello", null)]) // "User: Hi\nAssistant: Hello"
 */
export function toTranscript(steps: readonly Row[]): string {
  const lines: string[] = [];
  for (const s of steps) {
    if (s.role === "user") lines.push(`User: ${text(s.content)}`);
    else if (s.role === "assistant") lines.push(`Assistant: ${text(s.content)}`);
    else if (s.role === "tool_call") {
      const c = (s.content ?? {}) as Row;
      lines.push(
        `Assistant (tool call): ${String(c.name ?? "")}(${typeof c.arguments === "string" ? c.arguments : JSON.stringify(c.arguments ?? {})})`,
      );
    } else if (s.role === "tool_result") {
      const c = (s.content ?? {}) as Row;
      lines.push(
        `Tool result [${String(c.call_id ?? c.id ?? "")}]: ${typeof c.result === "string" ? c.result : JSON.stringify(c.error ?? c.result ?? null)}`,
      );
    }
  }
  return lines.join("\n");
}

/**
 * A step content as text.
 *
 * @example
 * text({ a: 1 }) // '{"a":1}'
 */
export function text(content: unknown): string {
  return typeof content === "string" ? content : content == null ? "" : JSON.stringify(content);
}
