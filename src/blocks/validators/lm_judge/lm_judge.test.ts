import { beforeAll, describe, expect, it } from "vitest";
import { LMRequestError } from "../../../errors.js";
import { register } from "../../../registry/decorators.js";
import { Registry } from "../../../registry/registry.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockItem } from "../../block.js";
import { createBlock } from "../../create.js";
import { LMProvider, type LMRequest, type LMResponse } from "../../lm/provider.js";
import { firstJsonObject, parseVerdict } from "./verdict.js";

/** A real provider (not a stub of the judge) that answers `row.verdict`, fails rows with `fail`, and records its batching. */
class ScriptedLM extends LMProvider {
  static calls = 0;
  static inFlight = 0;
  static maxInFlight = 0;
  static prompts: unknown[] = [];
  protected override async execute(items: BlockItem[], options: Record<string, unknown>) {
    ScriptedLM.calls++;
    return super.execute(items, options);
  }
  /** A private limiter: nothing to share. */
  protected credential(): undefined {
    return undefined;
  }
  protected async send(request: LMRequest): Promise<LMResponse> {
    ScriptedLM.prompts.push(request.input);
    ScriptedLM.maxInFlight = Math.max(ScriptedLM.maxInFlight, ++ScriptedLM.inFlight);
    await new Promise((r) => setTimeout(r, 5));
    ScriptedLM.inFlight--;
    if (request.row.fail) throw new LMRequestError("server", "HTTP 500 from the judge");
    const text = String(request.row.verdict);
    return {
      outputs: [request.method === "chat_completion" ? { role: "assistant", content: text } : text],
    };
  }
}
register("block", ["test/scripted_lm"], ScriptedLM);

let registry: Registry;
beforeAll(async () => {
  registry = await Registry.open();
});

async function judge(config: Row) {
  const rejects: Row[] = [];
  const block = await createBlock(
    registry,
    { name: "judge", type: "lm_judge", ...config },
    { rejects: async (_b, rows) => void rejects.push(...rows) },
  );
  return { block, rejects };
}

const rubric = {
  criteria: "correctness of the answer",
  levels: [
    { score: 1, description: "wrong" },
    { score: 3, description: "partly right" },
    { score: 5, description: "fully right" },
  ],
  min_score: 4,
};

describe("lm_judge with the mock provider", () => {
  it("creates its judge model when it is created, and reports the model's limiter as its own (the engine keeps it busy)", async () => {
    const { block } = await judge({
      lm_config: { type: "mock", call_limit: 7, responses: ["yes"] },
      prompt: "{{q}}",
      success: { regex: "yes" },
    });
    expect(block.limiters().map((l) => l.configured)).toEqual([7]);
    await block.call([{ q: "x" }]);
    expect(block.limiters().map((l) => l.configured)).toEqual([7]);
    await block.close();
  });

  it("rubric form: scores below min_score are removed with the judge's reason", async () => {
    const { block, rejects } = await judge({
      filter: true,
      lm_config: { type: "mock", responses: ["{{verdict}}"] },
      prompt: "Q: {{question}}\nA: {{answer}}",
      rubric,
    });
    const rows = [
      {
        id: "1",
        question: "2+2?",
        answer: "4",
        verdict: 'Sure. {"score": 5, "reason": "correct"}',
      },
      { id: "2", question: "2+3?", answer: "6", verdict: '{"score": 1, "reason": "2+3 is 5"}' },
      { id: "3", question: "2+4?", answer: "6", verdict: "I cannot decide" },
    ];
    const out = await block.call(rows);
    expect(out.map((r) => r.id)).toEqual(["1"]);
    expect(out[0]!.metadata).toMatchObject({ score: 5, judge_reason: "correct" });
    expect(rejects.map((r) => [r.id, r.reason])).toEqual([
      ["2", "judge score 1 is below 4: 2+3 is 5"],
      ["3", "could not read a score from the judge's answer"],
    ]);
    expect(rejects[0]).toMatchObject({
      block_name: "judge",
      block_type: "lm_judge",
      metadata: { judge_output: '{"score": 1, "reason": "2+3 is 5"}', score: 1 },
    });
    await block.close();
  });

  it("success regex and min_score forms; filter off keeps rows with is_valid", async () => {
    const re = await judge({
      lm_config: { type: "mock", responses: ["{{verdict}}"] },
      success: { regex: "^\\s*yes\\b", flags: "i" },
    });
    const out = await re.block.call([
      { input: "ok?", verdict: "Yes, fine" },
      { input: "ok?", verdict: "No." },
    ]);
    expect(out.map((r) => r.is_valid)).toEqual([true, false]);
    expect(re.rejects).toEqual([]);
    const min = await judge({
      lm_config: { type: "mock", responses: ["{{verdict}}"] },
      success: { min_score: 7, score_regex: "rating: (\\d+)" },
      filter: true,
    });
    const kept = await min.block.call([
      { input: "x", verdict: "rating: 8/10" },
      { input: "y", verdict: "rating: 3/10" },
    ]);
    expect(kept.map((r) => r.input)).toEqual(["x"]);
    expect(min.rejects[0]!.reason).toBe("judge score 3 is below 7");
  });

  it("chat_completion sends messages with the rubric appended to the prompt", async () => {
    ScriptedLM.prompts = [];
    const { block } = await judge({
      lm_config: { type: "test/scripted_lm", model_id_or_path: "m" },
      method: "chat_completion",
      prompt: "Judge: {{answer}}",
      rubric,
    });
    const out = await block.call([{ answer: "Paris", verdict: '{"score": 4}' }]);
    expect(out[0]!.is_valid).toBe(true);
    const messages = ScriptedLM.prompts[0] as { role: string; content: string }[];
    expect(messages[0]!.role).toBe("user");
    expect(messages[0]!.content).toMatch(
      /^Judge: Paris\n\nRate the correctness of the answer on this scale:\n- 1: wrong\n- 3: partly right\n- 5: fully right\n/,
    );
  });
});

describe("lm_judge batching and failures", () => {
  it("sends all rows in one provider call, using its concurrency", async () => {
    ScriptedLM.calls = 0;
    ScriptedLM.maxInFlight = 0;
    const { block } = await judge({
      lm_config: { type: "test/scripted_lm", model_id_or_path: "m", call_limit: 4 },
      success: { regex: "ok" },
    });
    const rows = Array.from({ length: 12 }, (_, i) => ({ input: `row ${i}`, verdict: "ok" }));
    const out = await block.call(rows);
    expect(out.every((r) => r.is_valid)).toBe(true);
    expect(ScriptedLM.calls).toBe(1);
    expect(ScriptedLM.maxInFlight).toBe(4);
  });

  it("a failed judge request is never a pass", async () => {
    const { block, rejects } = await judge({
      filter: true,
      lm_config: { type: "test/scripted_lm", model_id_or_path: "m", max_retries: 0 },
      success: { regex: ".*" },
    });
    const out = await block.call([
      { id: "a", input: "x", verdict: "fine" },
      { id: "b", input: "y", fail: true },
    ]);
    expect(out.map((r) => r.id)).toEqual(["a"]);
    expect(rejects[0]).toMatchObject({
      id: "b",
      reason: expect.stringMatching(/^judge request failed: .*HTTP 500 from the judge/),
    });
  });

  it("a success_func on the row decides when given (code-only form)", async () => {
    const { block } = await judge({ lm_config: { type: "mock", responses: ["{{verdict}}"] } });
    const out = await block.call([
      {
        input: "x",
        verdict: "42",
        success_func: (t: string) => ({ valid: t === "42", metadata: { parsed: Number(t) } }),
      },
    ]);
    expect(out[0]).toMatchObject({ is_valid: true, metadata: { judge_output: "42", parsed: 42 } });
  });

  it("config errors: no criterion, both forms, bad regex, missing placeholder", async () => {
    const none = await judge({ lm_config: { type: "mock" } });
    await expect(none.block.call([{ input: "x" }])).rejects.toThrow(/nothing decides/);
    await expect(
      judge({ lm_config: { type: "mock" }, rubric, success: { regex: "x" } }),
    ).rejects.toThrow(/rubric' or 'success'/);
    await expect(judge({ lm_config: { type: "mock" }, success: { regex: "(" } })).rejects.toThrow(
      /not a valid regular expression/,
    );
    await expect(judge({ lm_config: { model: "x" }, success: { regex: "x" } })).rejects.toThrow(
      /missing required key 'type'/,
    );
    const p = await judge({
      lm_config: { type: "mock" },
      prompt: "{{nope}}",
      success: { regex: "x" },
    });
    await expect(p.block.call([{ input: "x" }])).rejects.toThrow(/placeholder \{\{nope\}\}/);
  });
});

describe("verdict parsing", () => {
  it("finds the first JSON object, even after braces in prose", () => {
    expect(
      firstJsonObject('I think {not json} then {"score": "4", "reason": "a {b}"} end'),
    ).toEqual({ score: "4", reason: "a {b}" });
    expect(firstJsonObject("none")).toBeUndefined();
  });
  it("falls back to 'score: n' in prose", () => {
    expect(parseVerdict("Overall score: 4.5", rubric, undefined)).toMatchObject({
      valid: true,
      metadata: { score: 4.5 },
    });
  });
});
