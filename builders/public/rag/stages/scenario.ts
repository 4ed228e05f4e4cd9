import { createHash } from "node:crypto";
import type { Row } from "digit-sdg";
import { z } from "zod";
import { documentToDict, type SearchDocument } from "../../../../src/tools/search/document.js";
import {
  type Conversation,
  lastStep,
  makeStep,
  text,
} from "../../../core/conversation/conversation.js";
import { chatAll, parseJsonObject, strictJsonReply } from "../../../core/conversation/stages/lm.js";
import { registerStage } from "../../../core/conversation/stages/stage.js";
import { firstSentence, RAG_SCENARIO, type StepDocument, scenarioDocuments } from "../documents.js";
import { ragExtras } from "../extras.js";
import { buildSamplers, documentSamplerEntry } from "../samplers.js";
import { rankBySimilarity } from "../similarity.js";

const NAME = "lm/scenario/rag";

/**
 * JSON schema of the scenario reply: the analysis of the documents, then the scenario.
 *
 * @example
 * gen_kwargs: { response_format: SCENARIO_SCHEMA }
 */
export const SCENARIO_SCHEMA: Row = strictJsonReply("rag_scenario", {
  reasoning: {
    type: "string",
    description: "What the documents cover and what a user could need from them",
  },
  scenario: { type: "string", description: "Who the user is and what they need to find out" },
});

/** Seed documents are shortened to this many words in the examples shown to the model. */
const EXAMPLE_DOC_WORDS = 300;

/**
 * A long text cut to `max` words: its beginning, middle and end joined by "[...]".
 *
 * @example
 * shortenWords("a b c d e f g", 3) // "a [...] d [...] g"
 */
export function shortenWords(t: string, max: number): string {
  const words = t.split(/\s+/).filter(Boolean);
  if (words.length <= max) return t;
  const third = Math.max(1, Math.floor(max / 3));
  const mid = Math.floor((words.length - third) / 2);
  return [words.slice(0, third), words.slice(mid, mid + third), words.slice(-third)]
    .map((p) => p.join(" "))
    .join(" [...] ");
}

/**
 * Seed conversations as examples: each one's documents (shortened) and the scenario written
 * from them, as the JSON the model is asked for.
 *
 * @example
 * renderExamples(seeds).startsWith("Example 1") // true when a seed has a scenario
 */
export function renderExamples(seeds: readonly Row[]): string {
  const parts: string[] = [];
  for (const s of seeds) {
    const step = lastStep(s as Conversation, "scenario");
    if (!step) continue;
    const docs = scenarioDocuments(s as Conversation);
    const shown = docs.length
      ? `Documents:\n${docs.map((d, i) => `(${i + 1}) ${shortenWords(d.text, EXAMPLE_DOC_WORDS)}`).join("\n")}\n`
      : "";
    const reply = JSON.stringify({
      reasoning: typeof step.reasoning === "string" ? step.reasoning : "",
      scenario: text(step.content),
    });
    parts.push(`Example ${parts.length + 1}\n${shown}Reply: ${reply}`);
  }
  return parts.join("\n\n");
}

/**
 * The request for a scenario grounded in `docs`, with seed examples when there are any.
 *
 * @example
 * scenarioRequest("", docs)
 */
export function scenarioRequest(examples: string, docs: readonly StepDocument[]): string {
  return [
    "Invent the background of a conversation in which a user asks an AI assistant about the documents below.",
    "Work in order: say what the documents are about; find something a real person could need from them; " +
      "note comparisons, gaps or special cases the documents allow, so the conversation can last several turns. " +
      "Then describe the user: who they are, their situation, and what they want to find out. " +
      "Use only what the documents contain.",
    'Reply with JSON: {"reasoning": "<your analysis>", "scenario": "<the background>"}.',
    examples ? `Scenarios written for other documents:\n\n${examples}` : "",
    `Documents:\n${docs.map((d, i) => `(${i + 1}) ${d.text}`).join("\n\n") || "(no documents)"}`,
  ]
    .filter(Boolean)
    .join("\n\n");
}

/**
 * A well-formed scenario reply built from the documents, sent as the request's `example_answer`
 * (the offline `mock` provider answers with it; a real model never sees it).
 *
 * @example
 * exampleScenario([{ id: "a", text: "Fees are due in May." }])
 */
export function exampleScenario(docs: readonly StepDocument[]): string {
  const facts = docs.slice(0, 2).map((d) => firstSentence(d.text, 160));
  return JSON.stringify({
    reasoning: `The documents cover: ${facts.join(" / ") || "nothing"}`,
    scenario: `A person who just read that "${facts[0] ?? "the service changed"}" wants to understand what it means for them and what to do next.`,
  });
}

/** The scenario text and reasoning of a reply: its JSON fields, else the whole reply. */
function parseScenario(reply: string): { scenario: string; reasoning: string | null } {
  const obj = parseJsonObject(reply);
  const scenario = typeof obj?.scenario === "string" ? obj.scenario.trim() : "";
  if (scenario)
    return {
      scenario,
      reasoning:
        typeof obj?.reasoning === "string" && obj.reasoning.trim() ? obj.reasoning.trim() : null,
    };
  return { scenario: reply.trim(), reasoning: null };
}

/**
 * `lm/scenario/rag`: per conversation, one of `document_samplers` (by weight) draws `k`
 * documents from a search engine of the task's `tools.engines`; the generator writes a scenario
 * grounded in them, shown the `num_icl_examples` seed conversations whose documents are most
 * alike (TF-IDF); a `rag/scenario` step records the scenario, its reasoning and the documents.
 * Conversations whose reply is empty are dropped.
 *
 * @example
 * initialization_stages:
 *   - name: lm/scenario/rag
 *     document_samplers: [{ type: search/random, engine: file_retriever, group_by: domain }]
 *     k: 3
 */
registerStage({
  name: NAME,
  args: z.object({
    document_samplers: z.array(documentSamplerEntry).min(1, "give at least one document sampler"),
    k: z.number().int().min(1).default(5),
    num_icl_examples: z.number().int().min(0).default(3),
  }),
  blocks: ["generator"],
  create: (a, blocks, extras) => {
    const pairs = buildSamplers(a.document_samplers, ragExtras(extras, NAME).searchEngines, NAME);
    return {
      name: NAME,
      async run(convs, ctx) {
        const seedTexts = ctx.seedData.map((s) =>
          scenarioDocuments(s as Conversation)
            .map((d) => d.text)
            .join(" "),
        );
        const drawn = convs.map((): SearchDocument[] => {
          const { sampler } = ctx.rng.weighted(
            pairs,
            pairs.map((p) => p.weight),
          );
          return sampler.sample(ctx.rng, a.k);
        });
        const requests = convs.map((conversation, i) => {
          const docs = drawn[i]!.map((d) => documentToDict(d) as StepDocument);
          const n = Math.min(a.num_icl_examples, ctx.seedData.length);
          const examples = seedTexts.some(Boolean)
            ? rankBySimilarity(docs.map((d) => d.text).join(" "), seedTexts)
                .slice(0, n)
                .map((j) => ctx.seedData[j]!)
            : ctx.rng.sample(ctx.seedData, n);
          return {
            conversation,
            messages: [{ role: "user", content: scenarioRequest(renderExamples(examples), docs) }],
            gen_kwargs: { max_new_tokens: 1024, response_format: SCENARIO_SCHEMA },
            row: { example_answer: exampleScenario(docs) },
          };
        });
        const replies = await chatAll(blocks.generator!, requests);
        const out: Conversation[] = [];
        convs.forEach((c, i) => {
          const { scenario, reasoning } = parseScenario(replies[i] ?? "");
          if (!scenario) return;
          c.steps.push(
            makeStep(RAG_SCENARIO, scenario, NAME, {
              scenario_family_id: familyId(c.conversation_id),
              documents: drawn[i]!.map(documentToDict),
              reasoning,
            }),
          );
          out.push(c);
        });
        return out;
      },
    };
  },
});

/**
 * A UUID-shaped scenario family id hashed from the conversation id, so a seeded run repeats its
 * records exactly (DiGiT draws a random UUID).
 *
 * @example
 * familyId("52b5a5bb-f31a-4785-a15e-6394f6567ff4") // "…-4…-8…-…"
 */
export function familyId(conversationId: string): string {
  const h = createHash("sha256").update(`rag/scenario:${conversationId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
