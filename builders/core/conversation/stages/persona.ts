import type { Random, Row } from "digit-sdg";
import { ConfigError } from "digit-sdg";
import { z } from "zod";
import { type Conversation, makeStep } from "../conversation.js";
import { registerStage } from "./stage.js";

/**
 * Big-Five trait names, each in [-1, 1].
 *
 * @example
 * for (const t of TRAITS) personality[t] ??= 0;
 */
export const TRAITS = [
  "openness",
  "conscientiousness",
  "extraversion",
  "agreeableness",
  "neuroticism",
] as const;
/**
 * Big-Five traits, each in [-1, 1].
 *
 * @example
 * const p: Personality = { openness: 0.5, conscientiousness: 0, extraversion: -0.4, agreeableness: 0.2, neuroticism: 0 };
 */
export type Personality = Record<(typeof TRAITS)[number], number>;

/**
 * A persona record as read from the persona store (unknown keys are ignored).
 *
 * @example
 * const p: Persona = toPersona({ role: "nurse", goals: "rest" });
 */
export interface Persona {
  role: string;
  expertise: string;
  domain: string;
  goals: string;
  personality: Partial<Personality>;
  style_override: string | null;
}

const DESCRIPTORS: Record<(typeof TRAITS)[number], [string, string]> = {
  openness: ["curious and open to new ideas", "conventional and wary of new ideas"],
  conscientiousness: ["organised and precise", "casual and spontaneous"],
  extraversion: ["outgoing and talkative", "reserved and brief"],
  agreeableness: ["warm and cooperative", "blunt and sceptical"],
  neuroticism: ["easily worried or impatient", "calm and even-tempered"],
};

/**
 * Fill unspecified traits with random values in [-1, 1], one decimal (as DiGiT does on construction).
 *
 * @example
 * completePersonality({ openness: 0.8 }, rng).openness // 0.8
 */
export function completePersonality(p: Partial<Personality>, rng: Random): Personality {
  const out = {} as Personality;
  for (const t of TRAITS) {
    const v = p[t];
    out[t] =
      typeof v === "number"
        ? Math.max(-1, Math.min(1, v))
        : Math.round((rng.next() * 2 - 1) * 10) / 10;
  }
  return out;
}

/**
 * The persona as prompt text: Role / Expertise / Domain / Goals, then the style override or a
 * personality line built from traits beyond ±0.3.
 *
 * @example
 * renderPersona({ role: "nurse", expertise: "paediatrics", domain: "health", goals: "rest", personality: {}, style_override: "terse" }, full)
 */
export function renderPersona(p: Persona, personality: Personality): string {
  const lines = [
    `Role: ${p.role}`,
    `Expertise: ${p.expertise}`,
    `Domain: ${p.domain}`,
    `Goals: ${p.goals}`,
  ];
  if (p.style_override) lines.push(`Style: ${p.style_override}`);
  else {
    const traits = TRAITS.flatMap((t) =>
      personality[t] > 0.3 ? [DESCRIPTORS[t][0]] : personality[t] < -0.3 ? [DESCRIPTORS[t][1]] : [],
    );
    lines.push(
      `Personality: ${traits.length ? traits.join("; ") : "balanced, neither extreme in any way"}`,
    );
  }
  return lines.join("\n");
}

/**
 * Read persona rows into personas (keys role, expertise, domain, goals, personality, style_override).
 *
 * @example
 * toPersona({ role: "chef", goals: "new recipes" }).domain // ""
 */
export function toPersona(row: Row): Persona {
  const s = (v: unknown) => (v == null ? "" : Array.isArray(v) ? v.join(", ") : String(v));
  const personality =
    row.personality && typeof row.personality === "object"
      ? (row.personality as Partial<Personality>)
      : {};
  return {
    role: s(row.role),
    expertise: s(row.expertise),
    domain: s(row.domain),
    goals: s(row.goals),
    personality,
    style_override: row.style_override == null ? null : String(row.style_override),
  };
}

/**
 * `sample/persona`: picks a persona uniformly from `persona_store` for every conversation and
 * appends a `persona` step (target `user`). No LM call.
 */
registerStage({
  name: "sample/persona",
  args: z.object({
    persona_store: z.record(z.string(), z.unknown(), {
      error:
        "'persona_store' is required: a datastore config such as { type: default, data_path: personas.jsonl }",
    }),
  }),
  blocks: [],
  create: (args) => {
    let personas: Promise<Persona[]> | undefined;
    return {
      name: "sample/persona",
      async run(convs: Conversation[], ctx) {
        personas ??= ctx.loadRows(args.persona_store).then((rows) => rows.map(toPersona));
        const list = await personas;
        if (list.length === 0)
          throw new ConfigError(
            `stage 'sample/persona': the persona store ${JSON.stringify(args.persona_store.data_path ?? args.persona_store)} is empty`,
            { hint: "add persona records (role, expertise, domain, goals, personality)" },
          );
        for (const c of convs) {
          const p = ctx.rng.pick(list);
          const personality = completePersonality(p.personality, ctx.rng);
          c.steps.push(
            makeStep("persona", renderPersona(p, personality), "sample/persona", {
              target: "user",
              persona_role: p.role,
              expertise: p.expertise,
              domain: p.domain,
              goals: p.goals,
              personality,
              style_override: p.style_override,
            }),
          );
        }
        return convs;
      },
    };
  },
});
