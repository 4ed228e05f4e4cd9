import { type Block, Random } from "digit-sdg";
import { describe, expect, it } from "vitest";
import { blankConversation, makeStep, toTranscript } from "../conversation.js";
import { choosePattern, eligibleFromReply, type Pattern } from "./flow-controller.js";
import { createStage, stageNames } from "./index.js";
import { parseJsonObject } from "./lm.js";
import { completePersonality, renderPersona, toPersona } from "./persona.js";
import { userMessages } from "./user.js";

const patterns: Pattern[] = [
  { name: "a", description: "first", weight: 1 },
  { name: "b", description: "second", hint: "say b", weight: 0 },
  { name: "end", description: "close", weight: 1 },
];

describe("stage registry", () => {
  const blocks = new Map<string, Block>([["generator", {} as Block]]);
  it("knows the built-in stages", () => {
    expect(stageNames()).toEqual([
      "lm/assistant/naive",
      "lm/assistant/tools",
      "lm/flow_controller",
      "lm/scenario",
      "lm/user/guided",
      "sample/persona",
    ]);
  });
  it("resolves block arguments from a block name, a blocks mapping or the block of the same name", () => {
    expect(
      createStage({ name: "lm/assistant/naive", generator: "generator" }, blocks, "t").name,
    ).toBe("lm/assistant/naive");
    expect(
      createStage({ name: "lm/assistant/naive", blocks: { generator: "generator" } }, blocks, "t")
        .name,
    ).toBe("lm/assistant/naive");
    expect(createStage({ name: "lm/assistant/naive" }, blocks, "t").name).toBe(
      "lm/assistant/naive",
    );
  });
  it("rejects unknown stages, unknown blocks and unknown or missing keys", () => {
    expect(() => createStage({ name: "lm/nope" }, blocks, "t")).toThrow(
      /stage 'lm\/nope' is not registered/,
    );
    expect(() => createStage({ name: "lm/user/guided", generator: "gen" }, blocks, "t")).toThrow(
      /references block 'gen' \(as 'generator'\) which is not defined in the databuilder. Available blocks: \[generator\]/,
    );
    expect(() => createStage({ name: "lm/scenario", num_icl_example: 2 }, blocks, "t")).toThrow(
      /num_icl_example/,
    );
    expect(() => createStage({ name: "sample/persona" }, blocks, "t")).toThrow(/persona_store/);
    expect(() => createStage({ name: "lm/flow_controller", patterns: [] }, blocks, "t")).toThrow(
      /at least one pattern/,
    );
  });
});

describe("flow controller", () => {
  it("takes the known patterns a JSON reply lists", () => {
    expect(
      eligibleFromReply('{"reasoning": "r", "eligible_patterns": ["b", "zzz"]}', patterns),
    ).toEqual({ eligible: [patterns[1]], reasoning: "r" });
    expect(
      eligibleFromReply('```json\n{"eligible_patterns": ["a"]}\n```', patterns).eligible,
    ).toEqual([patterns[0]]);
  });
  it("treats every pattern as eligible when the reply is not the expected JSON, none when it lists none", () => {
    expect(eligibleFromReply("I think a fits", patterns).eligible).toEqual(patterns);
    expect(eligibleFromReply('{"eligible_patterns": []}', patterns).eligible).toEqual([]);
  });
  it("picks by weight (weight 0 never, unless all are 0)", () => {
    const rng = new Random(7);
    const picks = new Set(Array.from({ length: 200 }, () => choosePattern(patterns, rng).name));
    expect(picks).toEqual(new Set(["a", "end"]));
    expect(choosePattern([{ ...patterns[1]!, weight: 0 }], rng).name).toBe("b");
  });
  it("parseJsonObject accepts only objects", () => {
    expect(parseJsonObject("[1]")).toBeUndefined();
    expect(parseJsonObject("{bad")).toBeUndefined();
  });
});

describe("persona", () => {
  it("renders style overrides and personality descriptors beyond ±0.3", () => {
    const rng = new Random(3);
    const p = toPersona({
      role: "nurse",
      expertise: "care",
      domain: "health",
      goals: ["rest", "films"],
      personality: { openness: 0.9, extraversion: -0.8, agreeableness: 0.3 },
      extra: 1,
    });
    const full = completePersonality(
      { ...p.personality, conscientiousness: 0, neuroticism: 0 },
      rng,
    );
    expect(renderPersona(p, full)).toBe(
      "Role: nurse\nExpertise: care\nDomain: health\nGoals: rest, films\nPersonality: curious and open to new ideas; reserved and brief",
    );
    expect(renderPersona({ ...p, style_override: "terse" }, full)).toMatch(/\nStyle: terse$/);
  });
  it("fills missing traits with random values in [-1, 1] at one decimal", () => {
    const full = completePersonality({ openness: 0.5 }, new Random(11));
    expect(full.openness).toBe(0.5);
    for (const v of Object.values(full)) {
      expect(v).toBeGreaterThanOrEqual(-1);
      expect(v).toBeLessThanOrEqual(1);
      expect(Math.round(v * 10) / 10).toBe(v);
    }
  });
});

describe("user stage prompt", () => {
  it("swaps the roles of the dialogue and ends with the request", () => {
    const c = blankConversation("t");
    c.steps.push(
      makeStep("scenario", "A chat about tea.", "lm/scenario"),
      makeStep("persona", "Role: tea lover", "sample/persona"),
      makeStep("flow_controller", "a", "fc", { hint: "Ask about green tea." }),
      makeStep("user", "Hi", null),
      makeStep("assistant", "Hello!", null),
    );
    const m = userMessages(c);
    expect(m[0]!.role).toBe("system");
    expect(m[0]!.content).toContain("A chat about tea.");
    expect(m[0]!.content).toContain("Role: tea lover");
    expect(m[0]!.content).toContain("Ask about green tea.");
    expect(m.slice(1, 3)).toEqual([
      { role: "assistant", content: "Hi" },
      { role: "user", content: "Hello!" },
    ]);
    expect(m.at(-1)!.content).toMatch(/^Write the user's next message/);
    expect(toTranscript(c.steps)).toBe("User: Hi\nAssistant: Hello!");
  });
});
