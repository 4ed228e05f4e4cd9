import type { Block, Random, Row } from "digit-sdg";
import { z } from "zod";
import {
  type Conversation,
  isStepRole,
  lastStep,
  makeStep,
  scenarioText,
  toTranscript,
  userTurns,
} from "../conversation.js";
import { chatAll, parseJsonObject, strictJsonReply } from "./lm.js";
import { registerStage, type Stage } from "./stage.js";

const pattern = z.object({
  name: z.string().min(1),
  description: z.string().default(""),
  hint: z.string().optional(),
  weight: z.number().min(0).default(1),
});
/**
 * A flow-controller pattern as written in the task YAML.
 *
 * @example
 * const p: Pattern = { name: "chit_chat/follow_up", description: "...", weight: 0.35 };
 */
export type Pattern = z.infer<typeof pattern>;

const args = z.object({
  patterns: z.array(pattern).min(1, "give the flow controller at least one pattern"),
  termination_patterns: z.array(z.string()).default([]),
  max_turns: z.number().int().min(1).default(10),
});

/**
 * JSON schema of the first call: which patterns fit the next user turn.
 *
 * @example
 * gen_kwargs: { response_format: eligibilitySchema(["a", "b"]) }
 */
export function eligibilitySchema(names: string[]): Row {
  return strictJsonReply("eligible_patterns", {
    reasoning: { type: "string" },
    eligible_patterns: { type: "array", items: { type: "string", enum: names } },
  });
}

/**
 * JSON schema of the second call: a hint for the user turn.
 *
 * @example
 * gen_kwargs: { response_format: HINT_SCHEMA }
 */
export const HINT_SCHEMA: Row = strictJsonReply("hint", { hint: { type: "string" } });

/**
 * The eligible patterns of a reply: the known names it lists, all patterns when it is not the
 * expected JSON, and none when it lists none (the conversation is then dropped).
 *
 * @example
 * eligibleFromReply('{"eligible_patterns": ["a"]}', patterns) // [pattern a]
 */
export function eligibleFromReply(
  reply: string,
  patterns: readonly Pattern[],
): { eligible: Pattern[]; reasoning: string | null } {
  const obj = parseJsonObject(reply);
  if (!obj || !Array.isArray(obj.eligible_patterns))
    return { eligible: [...patterns], reasoning: null };
  const names = new Set(obj.eligible_patterns.map(String));
  return {
    eligible: patterns.filter((p) => names.has(p.name)),
    reasoning: typeof obj.reasoning === "string" ? obj.reasoning : null,
  };
}

/**
 * Weighted choice among patterns (all-zero weights count as equal).
 *
 * @example
 * choosePattern([{ name: "a", weight: 1 }, { name: "b", weight: 3 }], rng)
 */
export function choosePattern(patterns: readonly Pattern[], rng: Random): Pattern {
  const weights = patterns.map((p) => p.weight);
  return weights.some((w) => w > 0) ? rng.weighted(patterns, weights) : rng.pick(patterns);
}

/**
 * What the flow controller is shown of a conversation before the patterns: by default the
 * scenario and the transcript. A specialised controller (e.g. RAG's) shows more.
 *
 * @example
 * const ctx: ConversationSummary = (c) => `Scenario: ${scenarioText(c)}`;
 */
export type ConversationSummary = (c: Conversation) => string;

/**
 * The default summary: the scenario, then the conversation so far.
 *
 * @example
 * defaultSummary(conversation) // "Scenario: ...\n\nConversation so far:\n..."
 */
export function defaultSummary(c: Conversation): string {
  return [
    `Scenario: ${scenarioText(c) || "(none)"}`,
    `Conversation so far:\n${toTranscript(c.steps) || "(no messages yet)"}`,
  ].join("\n\n");
}

function eligibilityPrompt(
  c: Conversation,
  patterns: readonly Pattern[],
  termination: readonly string[],
  maxTurns: number,
  summary: ConversationSummary,
): string {
  const used = c.steps
    .filter((s) => isStepRole(s.role, "flow_controller"))
    .map((s) => String(s.content));
  const mustEnd = userTurns(c) >= Math.max(1, maxTurns - 1) && termination.length > 0;
  return [
    "You steer a conversation between a user and an AI assistant by deciding what kind of message the user sends next.",
    summary(c),
    used.length
      ? `Patterns already used, in order: ${used.join(", ")}`
      : "No pattern has been used yet.",
    `Patterns:\n${patterns.map((p) => `- ${p.name}: ${p.description}`).join("\n")}`,
    mustEnd
      ? `The conversation is long enough: the eligible patterns must include a closing pattern (${termination.join(", ")}).`
      : "",
    'List every pattern that would fit the next user message, as JSON: {"reasoning": "...", "eligible_patterns": ["..."]}.',
  ]
    .filter(Boolean)
    .join("\n\n");
}

function hintPrompt(c: Conversation, p: Pattern, summary: ConversationSummary): string {
  return [
    "Write a short instruction (one or two sentences) telling the user what to say next in this conversation.",
    summary(c),
    `The next message follows the pattern '${p.name}': ${p.description}`,
    p.hint ? `General guidance for this pattern: ${p.hint}` : "",
    'Reply as JSON: {"hint": "..."}.',
  ]
    .filter(Boolean)
    .join("\n\n");
}

/**
 * Register a flow-controller stage under `name` that shows the model `summary` of each
 * conversation: two batched calls with JSON `response_format` — which patterns fit the next user
 * turn, then a hint for the one picked (weighted) — and a `flow_controller` step whose
 * `terminate` says whether the pattern ends the conversation.
 *
 * @example
 * registerFlowController("lm/flow_controller/rag", (c) => `${defaultSummary(c)}\n\nDocuments: ...`);
 */
export function registerFlowController(name: string, summary: ConversationSummary): void {
  registerStage({
    name,
    args,
    blocks: ["generator"],
    create: (a, blocks) => flowController(name, summary, a, blocks.generator!),
  });
}

/** `lm/flow_controller`: the flow controller with the default summary (scenario, transcript). */
registerFlowController("lm/flow_controller", defaultSummary);

function flowController(
  name: string,
  summary: ConversationSummary,
  a: z.infer<typeof args>,
  generator: Block,
): Stage {
  return {
    name,
    async run(convs, ctx) {
      const names = a.patterns.map((p) => p.name);
      const first = await chatAll(
        generator,
        convs.map((conversation) => ({
          conversation,
          messages: [
            {
              role: "user",
              content: eligibilityPrompt(
                conversation,
                a.patterns,
                a.termination_patterns,
                a.max_turns,
                summary,
              ),
            },
          ],
          gen_kwargs: { max_new_tokens: 512, response_format: eligibilitySchema(names) },
        })),
      );
      const chosen: {
        c: Conversation;
        p: Pattern;
        eligible: Pattern[];
        reasoning: string | null;
      }[] = [];
      convs.forEach((c, i) => {
        const { eligible, reasoning } = eligibleFromReply(first[i]!, a.patterns);
        if (eligible.length === 0) return;
        chosen.push({ c, p: choosePattern(eligible, ctx.rng), eligible, reasoning });
      });
      const second = await chatAll(
        generator,
        chosen.map(({ c, p }) => ({
          conversation: c,
          messages: [{ role: "user", content: hintPrompt(c, p, summary) }],
          gen_kwargs: { max_new_tokens: 256, response_format: HINT_SCHEMA },
        })),
      );
      return chosen.map(({ c, p, eligible, reasoning }, i) => {
        const parsed = parseJsonObject(second[i]!);
        const hint =
          typeof parsed?.hint === "string" && parsed.hint.trim()
            ? parsed.hint.trim()
            : (p.hint ?? `Generate a user utterance following the '${p.name}' pattern.`);
        c.steps.push(
          makeStep("flow_controller", p.name, name, {
            terminate: a.termination_patterns.includes(p.name),
            hint,
            reasoning,
            eligible_patterns: eligible.map((e) => e.name),
          }),
        );
        return c;
      });
    },
  };
}

/**
 * Whether the last flow-controller step of a conversation ends it.
 *
 * @example
 * if (terminates(conversation)) finish(conversation);
 */
export function terminates(c: Conversation): boolean {
  return lastStep(c, "flow_controller")?.terminate === true;
}
