import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { readJsonl } from "../engine/helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");

/** Run the CLI from source as a user would from the repository root. */
function digit(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src/cli/main.ts"), ...args],
    { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("the README's offline examples", () => {
  it("geography QA writes the requested number of unique records, then the rater transforms them", () => {
    const out = mkdtempSync(join(tmpdir(), "digit-readme-"));
    const env = { DGT_OUTPUT_DIR: out, DGT_TELEMETRY_DIR: join(out, "telemetry") };
    const gen = digit(
      [
        "run",
        "tasks/public/examples/qa/task.yaml",
        "--include-namespaces",
        "public",
        "--config-path",
        "configs/mock/public/examples/qa.yaml",
        "--num-outputs-to-generate",
        "30",
      ],
      env,
    );
    expect(gen.code, gen.out).toBe(0);
    const qa = readJsonl(join(out, "public/examples/geography_qa/final_data.jsonl"));
    expect(qa).toHaveLength(30);
    expect(new Set(qa.map((r) => String(r.question).toLowerCase())).size).toBe(30);
    for (const r of qa) {
      expect(Object.keys(r)).toEqual(["task_name", "is_seed", "question", "answer", "id"]);
      expect(typeof r.question).toBe("string");
    }
    // The scripted model repeats one question: the dedup postprocessor removed and recorded the repeats.
    const rejects = readJsonl(join(out, "public/examples/geography_qa/blocks/dedup.jsonl"));
    expect(rejects.length).toBeGreaterThan(0);
    expect(
      rejects.every(
        (r) =>
          r.question === "What is the capital of Examplia?" && String(r.reason).includes("rouge"),
      ),
    ).toBe(true);

    const rate = digit(
      [
        "run",
        "tasks/public/examples/rate/task.yaml",
        "--include-namespaces",
        "public",
        "--config-path",
        "configs/mock/public/examples/rate_generated.yaml",
        "--restart",
      ],
      env,
    );
    expect(rate.code, rate.out).toBe(0);
    const rated = readJsonl(join(out, "public/examples/qa_ratings/final_data.jsonl"));
    expect(rated.map((r) => r.question)).toEqual(qa.map((r) => r.question));
    expect(
      rated.every((r) =>
        ["easy", "medium"].includes(String((r.ratings as Record<string, unknown>).difficulty)),
      ),
    ).toBe(true);
  }, 120_000);

  it("the rater's mock override: every record is rated, a fenced JSON answer included", () => {
    const out = mkdtempSync(join(tmpdir(), "digit-rate-"));
    const rate = digit(
      [
        "run",
        "tasks/public/examples/rate/task.yaml",
        "--include-namespaces",
        "public",
        "--config-path",
        "configs/mock/public/examples/rate.yaml",
        "--output-dir",
        out,
      ],
      { DGT_TELEMETRY_DIR: join(out, "telemetry") },
    );
    expect(rate.code, rate.out).toBe(0);
    const rated = readJsonl(join(out, "public/examples/qa_ratings/final_data.jsonl"));
    expect(rated).toHaveLength(15);
    const ratings = rated.map((r) => r.ratings as Record<string, unknown>);
    expect(new Set(ratings.map((r) => r.knowledge))).toEqual(
      new Set(["world capitals", "rivers and seas", "physical geography"]),
    );
    expect(ratings.every((r) => typeof r.difficulty === "string")).toBe(true);
  }, 60_000);

  it("the example can write Parquet and the rater reads it back", () => {
    const out = mkdtempSync(join(tmpdir(), "digit-parquet-"));
    const generate = join(out, "generate.yaml");
    writeFileSync(
      generate,
      `databuilders:
  public/examples/geography_qa:
    blocks:
      - name: generator
        type: mock
        responses: ["Question: Where is place {{n}}?\\nAnswer: Here {{n}}"]
tasks:
  public/examples/geography_qa:
    datastore: { type: default, output_data_format: parquet }
`,
    );
    const rateParquet = join(out, "rate.yaml");
    writeFileSync(
      rateParquet,
      `databuilders:
  public/examples/qa_rater:
    blocks:
      - name: rater
        type: mock
        responses: ['{"knowledge": "places", "difficulty": "hard"}']
tasks:
  public/examples/qa_ratings:
    data: { type: default, data_path: ${out}/public/examples/geography_qa/final_data.parquet }
`,
    );
    const env = { DGT_OUTPUT_DIR: out, DGT_TELEMETRY_DISABLE: "1" };
    const gen = digit(
      [
        "run",
        "tasks/public/examples/qa/task.yaml",
        "--include-namespaces",
        "public",
        "--config-path",
        generate,
        "--num-outputs-to-generate",
        "12",
      ],
      env,
    );
    expect(gen.code, gen.out).toBe(0);
    expect(readdirSync(join(out, "public/examples/geography_qa"))).toContain("final_data.parquet");
    const rate = digit(
      [
        "run",
        "tasks/public/examples/rate/task.yaml",
        "--include-namespaces",
        "public",
        "--config-path",
        rateParquet,
      ],
      env,
    );
    expect(rate.code, rate.out).toBe(0);
    const rated = readJsonl(join(out, "public/examples/qa_ratings/final_data.jsonl"));
    expect(rated).toHaveLength(12);
    // The mock numbers a builder's requests by their row's draw key, not 1, 2, ...
    expect(rated[0]!.question).toMatch(/^Where is place \d+\?$/);
    expect(rated.every((r) => (r.ratings as Record<string, unknown>).difficulty === "hard")).toBe(
      true,
    );
  }, 120_000);
});
