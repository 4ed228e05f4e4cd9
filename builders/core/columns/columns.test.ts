import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../../src/engine/run.js";
import { type ConfigError, isDigitError } from "../../../src/errors.js";
import { silentLogger } from "../../../src/telemetry/logger.js";
import { readJsonl } from "../../../test/engine/helpers.js";

const MOCK = `models:
  - name: writer
    type: mock
    responses:
      - match: "Ask a"
        response: "How do I fix my {{ category }} problem number {{ n }}?"
      - match: "Answer"
        response: "Here is a careful answer about {{ category }}: first check the settings, then contact us again if it persists."
      - match: "Score"
        response: '{"helpfulness": {"reasoning": "clear", "score": 4}}'
      - match: "JSON object"
        response: '{"title": "t{{ n }}", "stars": 3}'
      - match: "Write SQL"
        response: "Sure:\\n\`\`\`sql\\nSELECT name FROM {{ table }} WHERE id = {{ n }}\\n\`\`\`\\nDone."
      - "plain {{ n }}"
`;

function task(body: string, extra = ""): string {
  const dir = mkdtempSync(join(tmpdir(), "digit-columns-"));
  writeFileSync(
    join(dir, "task.yaml"),
    `task_name: t/columns\ndata_builder: core/columns\nrunner_config:\n  num_outputs_to_generate: 12\n  seed_batch_size: 5\n${MOCK}${extra}columns:\n${body}`,
  );
  return dir;
}

const run_ = (dir: string, seed = 7) =>
  run({
    taskPaths: [join(dir, "task.yaml")],
    outputDir: join(dir, "out"),
    logger: silentLogger,
    cwd: dir,
    seed,
  });
const out = (dir: string, file = "final_data.jsonl") => readJsonl(join(dir, "out/t/columns", file));

const BASIC = `  - { name: category, type: sampler, sampler_type: category, params: { values: [billing, shipping] } }
  - { name: difficulty, type: sampler, sampler_type: uniform, params: { low: 1, high: 6 }, convert_to: int }
  - name: question
    type: llm_text
    model: writer
    prompt: "Ask a {{ category }} question at difficulty {{ difficulty }}."
  - name: answer
    type: llm_text
    model: writer
    system_prompt: "You are support."
    prompt: "Answer: {{ question }}"
  - { name: label, type: expression, expr: "{{ category | upper }}-{{ difficulty }}" }
  - { name: level, type: expression, expr: "{{ difficulty * 2 }}", dtype: int }
  - name: judge
    type: llm_judge
    model: writer
    prompt: "Score this answer: {{ answer }}"
    scores:
      - { name: helpfulness, description: how helpful, options: { "1": bad, "3": ok, "4": good } }
  - { name: long_enough, type: validation, target_columns: [answer], validator_type: length, params: { min: 50 } }
`;

describe("core/columns", () => {
  it("makes every column of every record, in dependency order, deterministic per seed", async () => {
    const dir = task(BASIC);
    const result = await run_(dir);
    expect(result.error).toBeUndefined();
    const rows = out(dir);
    expect(rows).toHaveLength(12);
    for (const r of rows) {
      expect(["billing", "shipping"]).toContain(r.category);
      expect(r.question).toBe(
        `How do I fix my ${String(r.category)} problem number ${/number (\d+)/.exec(String(r.question))![1]}?`,
      );
      expect(String(r.answer)).toContain(`about ${String(r.category)}`);
      expect(r.label).toBe(`${String(r.category).toUpperCase()}-${String(r.difficulty)}`);
      expect(r.level).toBe(Number(r.difficulty) * 2);
      expect(r.judge).toEqual({ helpfulness: { score: 4, reasoning: "clear" } });
      expect(r.long_enough).toEqual({ is_valid: true, errors: [] });
    }
    expect(Object.keys(rows[0]!)).toEqual([
      "task_name",
      "is_seed",
      "category",
      "difficulty",
      "question",
      "answer",
      "label",
      "level",
      "judge",
      "long_enough",
      "id",
    ]);
    const again = task(BASIC);
    await run_(again);
    expect(out(again).map((r) => [r.category, r.difficulty, r.question])).toEqual(
      rows.map((r) => [r.category, r.difficulty, r.question]),
    );
    const other = task(BASIC);
    await run_(other, 8);
    expect(out(other).map((r) => [r.category, r.difficulty])).not.toEqual(
      rows.map((r) => [r.category, r.difficulty]),
    );
  });

  it("skip_when skips a cell and every cell that reads it; drop leaves a column out of the output", async () => {
    const dir =
      task(`  - { name: category, type: sampler, sampler_type: category, params: { values: [billing, shipping] } }
  - { name: question, type: llm_text, model: writer, prompt: "Ask a {{ category }} question.", skip_when: "{{ category == 'shipping' }}" }
  - { name: shout, type: expression, expr: "{{ question | upper }}" }
  - { name: hidden, type: expression, expr: "x{{ category }}", drop: true }
  - { name: uses_hidden, type: expression, expr: "{{ hidden }}!" }
`);
    expect((await run_(dir)).error).toBeUndefined();
    const rows = out(dir);
    expect(
      rows.some((r) => r.category === "shipping") && rows.some((r) => r.category === "billing"),
    ).toBe(true);
    for (const r of rows) {
      expect("hidden" in r).toBe(false);
      expect(r.uses_hidden).toBe(`x${String(r.category)}!`);
      if (r.category === "shipping") expect([r.question, r.shout]).toEqual([null, null]);
      else expect(r.shout).toBe(String(r.question).toUpperCase());
    }
  });

  it("a filtering validation drops failing records into blocks/<column>.jsonl and still reaches the target", async () => {
    const dir =
      task(`  - { name: category, type: sampler, sampler_type: category, params: { values: [billing, shipping] } }
  - { name: question, type: llm_text, model: writer, prompt: "Ask a {{ category }} question." }
  - { name: only_billing, type: validation, target_columns: [question], validator_type: regex, params: { pattern: billing }, filter: true }
`);
    expect((await run_(dir)).error).toBeUndefined();
    const rows = out(dir);
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.category === "billing")).toBe(true);
    const rejects = out(dir, "blocks/only_billing.jsonl");
    expect(rejects.length).toBeGreaterThan(0);
    expect(
      rejects.every(
        (r) => r.category === "shipping" && String(r.reason).includes("does not match /billing/"),
      ),
    ).toBe(true);
  });

  it("llm_structured: fields addressable by later columns; a reply that never fits is rejected with the reason", async () => {
    const schema = `{ type: object, properties: { title: { type: string }, stars: { type: integer, minimum: 1, maximum: 5 } }, required: [title, stars] }`;
    const dir =
      task(`  - { name: review, type: llm_structured, model: writer, prompt: "Write a review.", output_format: ${schema} }
  - { name: line, type: expression, expr: "{{ review.title }} ({{ review.stars }} stars)" }
`);
    expect((await run_(dir)).error).toBeUndefined();
    for (const r of out(dir))
      expect(r.line).toBe(`${String((r.review as { title: string }).title)} (3 stars)`);

    const strict = task(
      `  - { name: review, type: llm_structured, model: writer, prompt: "Write a review.", max_attempts: 2, output_format: { type: object, properties: { stars: { type: integer, minimum: 4 } }, required: [stars] } }
`,
      "",
    );
    const res = await run({
      taskPaths: [join(strict, "task.yaml")],
      outputDir: join(strict, "out"),
      logger: silentLogger,
      cwd: strict,
      maxStalledAttempts: 2,
    });
    expect(res.outcomes[0]!.status).toBe("stalled_generation");
    const rejects = out(strict, "blocks/review.jsonl");
    expect(rejects.length).toBeGreaterThan(0);
    expect(String(rejects[0]!.reason)).toMatch(
      /does not fit the schema: \/stars must be >= 4 \(after 2 attempts\)/,
    );
  });

  it("processors: drop_columns keeps the values in a side file by record id; schema_transform writes a second output", async () => {
    const dir = task(
      `  - { name: category, type: sampler, sampler_type: category, params: { values: [billing, shipping] } }
  - { name: question, type: llm_text, model: writer, prompt: "Ask a {{ category }} question." }
`,
      `processors:
  - { type: drop_columns, name: dropped, columns: [category] }
  - { type: schema_transform, name: chat, template: { messages: [{ role: user, content: "{{ question }}" }, { role: assistant, content: "({{ category }})" }] } }
`,
    );
    expect((await run_(dir)).error).toBeUndefined();
    const rows = out(dir);
    expect(rows.every((r) => !("category" in r))).toBe(true);
    const side = out(dir, "processors/dropped.jsonl");
    expect(side.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(side.every((r) => ["billing", "shipping"].includes(String(r.category)))).toBe(true);
    const chat = out(dir, "processors/chat.jsonl") as { messages: { content: string }[] }[];
    expect(chat.map((c) => c.messages[0]!.content)).toEqual(rows.map((r) => r.question));
    expect(chat.map((c, _i) => c.messages[1]!.content)).toEqual(
      side.map((s) => `(${String(s.category)})`),
    );
    // data.jsonl keeps every column.
    expect(out(dir, "data.jsonl").every((r) => typeof r.category === "string")).toBe(true);
  });

  it("seed columns: fields of seed records, each seed once per pass without replacement; llm_code keeps the code, checked by a SQL parser", async () => {
    const dir = task(
      `  - { name: table, type: seed }
  - { name: topic, type: seed, field: about }
  - { name: query, type: llm_code, model: writer, code_lang: sql, prompt: "Write SQL over {{ table }} about {{ topic }}" }
  - { name: query_ok, type: validation, target_columns: [query], validator_type: code, params: { code_lang: sql }, filter: true }
`,
      "seed_examples:\n  - { table: users, about: people }\n  - { table: orders, about: sales }\n  - { table: items, about: stock }\n",
    );
    expect((await run_(dir)).error).toBeUndefined();
    const rows = out(dir);
    expect(rows).toHaveLength(12);
    const pairs = new Map([
      ["users", "people"],
      ["orders", "sales"],
      ["items", "stock"],
    ]);
    for (const r of rows) {
      expect(r.topic).toBe(pairs.get(String(r.table)));
      expect(r.query).toMatch(new RegExp(`^SELECT name FROM ${String(r.table)} WHERE id = \\d+$`));
      expect(r.query_ok).toEqual({ is_valid: true, errors: [] });
    }
    // Records 0-2, 3-5, ... each take every seed once, in a shuffled order.
    for (let pass = 0; pass < 4; pass++)
      expect(new Set(rows.slice(pass * 3, pass * 3 + 3).map((r) => r.table)).size).toBe(3);

    const drawn = task(
      `  - { name: table, type: seed }\n`,
      "seed_sampling: { with_replacement: true }\nseed_examples:\n  - { table: users }\n  - { table: orders }\n  - { table: items }\n",
    );
    expect((await run_(drawn)).error).toBeUndefined();
    expect(out(drawn).every((r) => pairs.has(String(r.table)))).toBe(true);
  });

  it("two tasks of one run may define a model name differently: each uses its own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-columns-two-"));
    for (const [name, reply] of [
      ["one", "first"],
      ["two", "second"],
    ] as const) {
      writeFileSync(
        join(dir, `${name}.yaml`),
        `task_name: t/${name}\ndata_builder: core/columns\nrunner_config: { num_outputs_to_generate: 3 }\nmodels: [{ name: writer, type: mock, responses: ["${reply} {{ n }}"] }]\ncolumns:\n  - { name: text, type: llm_text, model: writer, prompt: hi }\n`,
      );
    }
    const result = await run({
      taskPaths: [join(dir, "one.yaml"), join(dir, "two.yaml")],
      outputDir: join(dir, "out"),
      logger: silentLogger,
      cwd: dir,
    });
    expect(result.error).toBeUndefined();
    for (const [name, reply] of [
      ["one", "first"],
      ["two", "second"],
    ] as const) {
      const rows = readJsonl(join(dir, "out/t", name, "final_data.jsonl"));
      expect(rows).toHaveLength(3);
      expect(rows.every((r) => String(r.text).startsWith(`${reply} `))).toBe(true);
    }
  });

  it("transformation mode: every input record once, its fields in the templates", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-columns-"));
    writeFileSync(
      join(dir, "task.yaml"),
      `task_name: t/columns\ndata_builder: core/columns\ndata:\n  - { text: alpha }\n  - { text: beta }\n  - { text: gamma }\n${MOCK}columns:\n  - { name: loud, type: expression, expr: "{{ text | upper }}" }\n  - { name: reply, type: llm_text, model: writer, prompt: "Rewrite {{ text }}" }\n`,
    );
    expect((await run_(dir)).error).toBeUndefined();
    const rows = out(dir);
    expect(rows.map((r) => [r.text, r.loud])).toEqual([
      ["alpha", "ALPHA"],
      ["beta", "BETA"],
      ["gamma", "GAMMA"],
    ]);
    expect(rows.every((r) => /^plain \d+$/.test(String(r.reply)))).toBe(true);
  });
});

describe("core/columns: bad input is an error with file and line before any output", () => {
  const expectError = async (body: string, message: RegExp, extra = ""): Promise<ConfigError> => {
    const dir = task(body, extra);
    const err = await run_(dir).then(
      (r) => r.error,
      (e: unknown) => e,
    );
    expect(isDigitError(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect((err as ConfigError).file).toBe(join(dir, "task.yaml"));
    expect((err as ConfigError).line).toBeGreaterThan(0);
    expect(existsSync(join(dir, "out"))).toBe(false);
    return err as ConfigError;
  };

  it("unknown column type, with the closest name", async () => {
    const err = await expectError(
      `  - { name: a, type: llm_txt, model: writer, prompt: hi }\n`,
      /unknown type 'llm_txt'/,
    );
    expect(err.hint).toContain("did you mean 'llm_text'");
  });

  it("a template that reads an unknown column, with the closest name and its line", async () => {
    const err = await expectError(
      `  - { name: question, type: expression, expr: "x" }\n  - name: b\n    type: expression\n    expr: "{{ questoin }}"\n`,
      /reads 'questoin', which is no column/,
    );
    expect(err.hint).toContain("did you mean 'question'");
    expect(err.line).toBe(25);
  });

  it("a cycle", async () => {
    await expectError(
      `  - { name: a, type: expression, expr: "{{ b }}" }\n  - { name: b, type: expression, expr: "{{ c }}" }\n  - { name: c, type: expression, expr: "{{ a }}" }\n`,
      /cycle: a → b → c → a/,
    );
  });

  it("an invalid JSON Schema", async () => {
    await expectError(
      `  - { name: a, type: llm_structured, model: writer, prompt: hi, output_format: { type: objekt } }\n`,
      /JSON Schema is not valid/,
    );
  });

  it("an unknown model, a bad regex, an unknown code language, a duplicate name", async () => {
    await expectError(
      `  - { name: a, type: llm_text, model: writr, prompt: hi }\n`,
      /names model 'writr'/,
    );
    await expectError(
      `  - { name: a, type: expression, expr: x }\n  - { name: v, type: validation, target_columns: [a], validator_type: regex, params: { pattern: "(" } }\n`,
      /not a valid regular expression/,
    );
    await expectError(
      `  - { name: a, type: expression, expr: x }\n  - { name: v, type: validation, target_columns: [a], validator_type: code, params: { code_lang: cobol } }\n`,
      /do not know language 'cobol'/,
    );
    await expectError(
      `  - { name: a, type: expression, expr: x }\n  - { name: a, type: expression, expr: y }\n`,
      /two columns are named 'a'/,
    );
    await expectError(
      `  - { name: id, type: expression, expr: x }\n`,
      /column 'id' has the name of a field digit gives every record/,
    );
  });

  it("sampler mistakes, at the line of the key: unknown sampler, wrong params, weights of the wrong length, an impossible constraint", async () => {
    const unknown = await expectError(
      `  - name: a\n    type: sampler\n    sampler_type: gausian\n    params: { mean: 1, stddev: 1 }\n`,
      /unknown sampler 'gausian'.*did you mean 'gaussian'/,
    );
    expect(unknown.line).toBe(24);
    await expectError(
      `  - name: a\n    type: sampler\n    sampler_type: uniform\n    params: { low: 1, hgh: 2 }\n`,
      /unknown param 'hgh'/,
    );
    const weights = await expectError(
      `  - name: a\n    type: sampler\n    sampler_type: category\n    params:\n      values: [x, y]\n      weights: [1, 2, 3]\n`,
      /weights/,
    );
    expect(weights.line).toBe(27);
    await expectError(
      `  - { name: a, type: sampler, sampler_type: uniform, params: { low: 0, high: 1 } }\n  - { name: b, type: sampler, sampler_type: uniform, params: { low: 5, high: 6 } }\n`,
      /constraint|cannot|never/,
      'constraints: ["b < a"]\n',
    );
  });

  it("a template the sandbox refuses", async () => {
    await expectError(
      `  - { name: a, type: expression, expr: "{{ x.constructor }}" }\n  - { name: x, type: expression, expr: "1" }\n`,
      /refused/,
    );
  });
});
