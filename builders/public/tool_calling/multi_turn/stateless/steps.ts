import type { Row } from "digit-sdg";
import { checkToolCalls } from "../../../../../src/blocks/validators/tool_call/check.js";
import { type Tool, toolToDict } from "../../../../../src/tools/types.js";
import {
  type Conversation,
  makeStep,
  type Step,
} from "../../../../core/conversation/conversation.js";
import type { CallDict } from "./calls.js";

/** Step roles of this builder (DiGiT's ToolInfoStep, ToolPlanStep, ToolUserStep). */
export const ROLES = { info: "tc/sampler", plan: "tc/plan", user: "tc/user" } as const;

/**
 * A planned call as stored on a plan step (DiGiT's ToolCall as a dict).
 *
 * @example
 * const p: PlannedCall = { name: "get_order", namespace: "shop", arguments: {}, call_id: "$1" };
 */
export interface PlannedCall extends Row {
  name: string;
  namespace: string;
  arguments: Row;
  call_id: string | null;
}

/**
 * The tools step of a conversation (its tools as Tool objects and the scenario date).
 *
 * @example
 * const { tools, date } = toolInfo(conversation);
 */
export function toolInfo(c: Conversation): { tools: Tool[]; date: string } {
  const s = c.steps.find((x) => x.role === ROLES.info);
  if (!s)
    throw new Error(
      "tool-calling stage before scenario_generator: the conversation has no tools step",
    );
  return { tools: s.tools as Tool[], date: String(s.date ?? "") };
}

/**
 * Every step of a role, in order.
 *
 * @example
 * stepsOf(conversation, ROLES.plan)
 */
export function stepsOf(c: Conversation, role: string): Step[] {
  return c.steps.filter((s) => s.role === role);
}

/**
 * The calls of a plan step as `{name, arguments, id}` dicts.
 *
 * @example
 * planCalls(step) // [{ name: "a", arguments: {}, id: "$1" }]
 */
export function planCalls(step: Step | undefined): CallDict[] {
  return ((step?.plan as PlannedCall[] | null | undefined) ?? []).map((p) => ({
    name: p.name,
    arguments: p.arguments,
    ...(p.call_id != null ? { id: p.call_id } : {}),
  }));
}

/**
 * Plan entries for calls, each with its tool's namespace.
 *
 * @example
 * planned(calls, tools)[0].namespace // "shop"
 */
export function planned(calls: CallDict[], tools: Tool[]): PlannedCall[] {
  return calls.map((c) => ({
    name: c.name,
    namespace: tools.find((t) => t.name === c.name)?.namespace ?? "default",
    arguments: c.arguments,
    call_id: c.id ?? null,
  }));
}

/**
 * New steps with DiGiT's typed fields.
 *
 * @example
 * steps.plan(calls, "tool_calling/multi_turn/stages/planner")
 */
export const steps = {
  info: (tools: Tool[], date: string, stage: string) =>
    makeStep(ROLES.info, null, stage, {
      tools: tools.map((t) => ({
        ...toolToDict(t),
        output_parameters: t.output_parameters,
        metadata: t.metadata,
      })),
      date,
    }),
  plan: (plan: PlannedCall[], stage: string) => makeStep(ROLES.plan, null, stage, { plan }),
  user: (text: string, required: unknown[], hidden: CallDict[], stage: string) =>
    makeStep(ROLES.user, text, stage, { required_terms: required, hidden_set: hidden }),
  call: (call: CallDict, stage: string) => makeStep("tool_call", call, stage),
  result: (result: Row | string, stage: string) => makeStep("tool_result", result, stage),
  assistant: (text: string, stage: string) => makeStep("assistant", text, stage),
};

/**
 * DiGiT's validate_tool_calls: ids must be "$n", calls need a name and non-empty arguments,
 * then the tool_call_validator checks (argument/question overlap off unless asked).
 *
 * @example
 * validCalls(calls, tools, { allowNested: true, requireNested: true })
 */
export function validCalls(
  calls: CallDict[],
  tools: Tool[],
  o: { question?: string; allowNested?: boolean; requireNested?: boolean; overlap?: boolean },
): boolean {
  if (!calls.length) return false;
  if (
    !calls.every(
      (c) =>
        c.name &&
        c.arguments &&
        Object.keys(c.arguments).length > 0 &&
        (c.id === undefined || (typeof c.id === "string" && c.id.startsWith("$"))),
    )
  )
    return false;
  return checkToolCalls({
    tools: tools.map((t) => toolToDict(t)),
    answer: JSON.stringify(
      calls.map((c) => ({
        name: c.name,
        arguments: c.arguments,
        ...(c.id !== undefined ? { id: c.id } : {}),
      })),
    ),
    question: o.question ?? "",
    check_arg_question_overlap: o.overlap ?? false,
    allow_nested: o.allowNested ?? false,
    require_nested: o.requireNested ?? false,
    multi_output: false,
    validate_question: o.question !== undefined,
    ignore_types: ["boolean", "date"],
  }).valid;
}
