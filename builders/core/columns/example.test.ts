import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../../src/engine/run.js";
import { silentLogger } from "../../../src/telemetry/logger.js";
import { readJsonl } from "../../../test/engine/helpers.js";
import { type FakeLLM, startFakeLLM } from "../../../test/support/fake-llm/index.js";

const TASK = "tasks/core/columns/customer_support/task.yaml";
const CATEGORIES = ["billing", "technical", "shipping", "returns"];
const COLUMNS = [
  "category",
  "difficulty",
  "question",
  "question_length",
  "answer",
  "answer_length",
  "quality",
];

function pearson(xs: number[], ys: number[]): number {
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** The checks the issue asks of the example's records. */
function checkRecords(rows: Record<string, unknown>[]): void {
  for (const r of rows) {
    for (const c of COLUMNS) expect(r[c], c).not.toBeUndefined();
    expect("customer" in r).toBe(false); // drop: true
    expect(CATEGORIES).toContain(r.category);
    expect([1, 2, 3, 4, 5]).toContain(r.difficulty);
    expect(String(r.question).length).toBeGreaterThanOrEqual(10);
    expect(String(r.question).length).toBeLessThanOrEqual(200);
    expect(String(r.answer).length).toBeGreaterThanOrEqual(50);
    const q = r.quality as Record<string, { score: number }>;
    expect([1, 2, 3, 4, 5]).toContain(q.helpfulness!.score);
    expect([0, 1]).toContain(q.tone!.score);
  }
}

describe("tasks/core/columns/customer_support", () => {
  it("runs offline with the mock override: 1,000 records, every column, difficulty correlated with category at 0.3", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-cs-"));
    const result = await run({
      taskPaths: [TASK],
      configPath: "configs/mock/core/columns/customer_support.yaml",
      outputDir: dir,
      numOutputsToGenerate: 1000,
      logger: silentLogger,
    });
    expect(result.error).toBeUndefined();
    const rows = readJsonl(join(dir, "core/columns/customer_support/final_data.jsonl"));
    expect(rows).toHaveLength(1000);
    expect(new Set(rows.map((r) => r.id)).size).toBe(1000);
    checkRecords(rows);
    const r = pearson(
      rows.map((x) => CATEGORIES.indexOf(String(x.category))),
      rows.map((x) => Number(x.difficulty)),
    );
    // 1,000 draws: the standard error of a correlation near 0.3 is about 0.03.
    expect(Math.abs(r - 0.3)).toBeLessThan(0.1);
  }, 60_000);

  describe("against the fake server", () => {
    let fake: FakeLLM;
    const bodies: Record<string, unknown>[] = [];
    beforeAll(async () => {
      fake = await startFakeLLM({
        rules: [
          {
            match: /Write one question/,
            response: "My parcel {{n}} has not arrived yet, what can I do?",
          },
          {
            match: /A customer wrote/,
            response:
              "Sorry about that. Please check the tracking page for parcel {{n}} and reply with the order number so we can help.",
          },
          {
            match: /Score the above/,
            response:
              '{"helpfulness": {"reasoning": "Concrete.", "score": 5}, "tone": {"reasoning": "Kind.", "score": 1}}',
          },
        ],
        respond: (req) => {
          bodies.push(req.body);
          return undefined as never;
        },
      });
    });
    afterAll(() => fake.close());

    for (const type of ["openai", "anthropic", "ollama"] as const) {
      it(`through ${type}: judge requests carry the provider's structured-output request`, async () => {
        bodies.length = 0;
        const dir = mkdtempSync(join(tmpdir(), `digit-cs-${type}-`));
        const url = type === "openai" ? fake.openaiBaseURL : fake.url;
        const model = (name: string) =>
          `      - { name: ${name}, type: ${type}, model_id_or_path: fake-model, base_url: "${url}", api_key: fake-key, max_tokens: 300 }\n`;
        writeFileSync(
          join(dir, "override.yaml"),
          `tasks:\n  core/columns/customer_support:\n    models:\n${model("writer")}${model("judge")}`,
        );
        const result = await run({
          taskPaths: [TASK],
          configPath: join(dir, "override.yaml"),
          outputDir: join(dir, "out"),
          numOutputsToGenerate: 20,
          logger: silentLogger,
        });
        expect(result.error).toBeUndefined();
        const rows = readJsonl(join(dir, "out/core/columns/customer_support/final_data.jsonl"));
        expect(rows).toHaveLength(20);
        checkRecords(rows);
        const judged = bodies.filter((b) => JSON.stringify(b).includes("Score the above"));
        expect(judged.length).toBeGreaterThanOrEqual(20);
        for (const b of judged) {
          const schema =
            type === "openai"
              ? (b.response_format as { json_schema: { schema: unknown } }).json_schema.schema
              : type === "anthropic"
                ? (b.output_config as { format: { schema: unknown } }).format.schema
                : b.format;
          expect(schema).toMatchObject({ type: "object", required: ["helpfulness", "tone"] });
        }
      });
    }
  });
});

describe("tasks/core/columns/product_reviews", () => {
  it("runs offline: structured reviews whose fields later columns read, every category × stars pair in 20 records, both processors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-reviews-"));
    const result = await run({
      taskPaths: ["tasks/core/columns/product_reviews/task.yaml"],
      configPath: "configs/mock/core/columns/product_reviews.yaml",
      outputDir: dir,
      numOutputsToGenerate: 20,
      logger: silentLogger,
    });
    expect(result.error).toBeUndefined();
    const base = join(dir, "core/columns/product_reviews");
    const rows = readJsonl(join(base, "final_data.jsonl"));
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((r) => `${String(r.product_category)}/${String(r.stars)}`)).size).toBe(
      20,
    );
    const reviewers = readJsonl(join(base, "processors/reviewers.jsonl"));
    expect(reviewers.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    const chat = readJsonl(join(base, "processors/chat.jsonl")) as {
      messages: { role: string; content: string }[];
    }[];
    rows.forEach((r, i) => {
      const review = r.review as { title: string; stars: number; pros: string[] };
      const who = reviewers[i]!.reviewer as { first_name: string; age: number };
      expect("reviewer" in r).toBe(false);
      expect(review.stars).toBe(r.stars);
      expect(r.headline).toBe(
        `${review.title} (${review.stars}/5) by ${who.first_name}, ${who.age}`,
      );
      expect(r.has_pros).toEqual({ is_valid: true, errors: [] });
      expect(chat[i]!.messages[0]).toEqual({
        role: "user",
        content: `Write a ${String(r.stars)}-star review of a ${String(r.product)}.`,
      });
      expect(chat[i]!.messages[1]!.content.startsWith(`${review.title}\n\n`)).toBe(true);
    });
  });
});
