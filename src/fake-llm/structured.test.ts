import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { startFakeLLM } from "./server.js";
import { exampleFor, requestedSchema } from "./structured.js";

const SCHEMA = {
  type: "object",
  properties: {
    title: { type: "string", minLength: 30, maxLength: 40 },
    stars: { type: "integer", minimum: 1, maximum: 5 },
    tags: { type: "array", items: { type: "string" }, minItems: 2 },
    ok: { type: "boolean" },
    grade: { enum: ["a", "b", "c"] },
    nested: {
      type: "object",
      properties: { n: { type: "number", minimum: 10, maximum: 10 } },
      required: ["n"],
    },
  },
  required: ["title", "stars", "tags", "ok", "grade", "nested"],
};

describe("fake LLM structured output", () => {
  it("finds the schema of each protocol's structured-output request", () => {
    expect(
      requestedSchema("openai", {
        response_format: { type: "json_schema", json_schema: { name: "x", schema: SCHEMA } },
      }),
    ).toBe(SCHEMA);
    expect(requestedSchema("openai", { response_format: { type: "json_object" } })).toBeUndefined();
    expect(
      requestedSchema("anthropic", {
        output_config: { format: { type: "json_schema", schema: SCHEMA } },
      }),
    ).toBe(SCHEMA);
    expect(requestedSchema("ollama", { format: SCHEMA })).toBe(SCHEMA);
    expect(requestedSchema("ollama", { format: "json" })).toBeUndefined();
  });

  it("makes values that fit the schema, varied by the answer number", () => {
    const validate = new Ajv().compile(SCHEMA);
    const values = [1, 2, 3, 4, 5, 6].map((n) => exampleFor(SCHEMA, n));
    for (const v of values) expect(validate(v), JSON.stringify(validate.errors)).toBe(true);
    expect(new Set(values.map((v) => (v as { stars: number }).stars)).size).toBe(5);
  });

  it("answers a structured-output request no rule matches with JSON that fits", async () => {
    const fake = await startFakeLLM();
    try {
      const res = await fetch(`${fake.openaiBaseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          messages: [{ role: "user", content: "rate it" }],
          response_format: { type: "json_schema", json_schema: { name: "r", schema: SCHEMA } },
        }),
      });
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      expect(new Ajv().compile(SCHEMA)(JSON.parse(body.choices[0]!.message.content))).toBe(true);
    } finally {
      await fake.close();
    }
  });
});
