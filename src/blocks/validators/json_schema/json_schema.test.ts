import { describe, expect, it } from "vitest";
import { makeBlock } from "../../../../test/support/make-block.js";

describe("json_schema", () => {
  it("validates a JSON-string field against a JSON Schema, naming the failing path", async () => {
    const { block, rejects } = await makeBlock("json_schema", {
      filter: true,
      fields: {
        answer: {
          parse_json: true,
          schema: {
            type: "object",
            required: ["steps"],
            properties: {
              steps: {
                type: "array",
                minItems: 1,
                items: {
                  type: "object",
                  required: ["score"],
                  properties: { score: { type: "number" } },
                },
              },
            },
          },
        },
      },
    });
    const out = await block.call([
      { id: 1, answer: '{"steps": [{"score": 1}, {"score": 2}]}' },
      { id: 2, answer: '{"steps": [{"score": 1}, {"score": "high"}]}' },
      { id: 3, answer: "{not json" },
      { id: 4, answer: '{"steps": []}' },
    ]);
    expect(out.map((r) => r.id)).toEqual([1]);
    expect(rejects[0]!.reason).toBe(
      "answer: at 'steps[1].score': Invalid input: expected number, received string",
    );
    expect(rejects[0]!.metadata).toMatchObject({ field: "answer", path: "steps[1].score" });
    expect(String(rejects[1]!.reason)).toMatch(/^answer: not valid JSON/);
    expect(String(rejects[2]!.reason)).toMatch(/^answer: at 'steps':/);
  });

  it("compact zod shape, strict mode, optional and list types", async () => {
    const { block } = await makeBlock("json_schema", {
      fields: {
        meta: {
          strict: true,
          shape: { source: "string", score: "number?", tags: "string[]", inner: { ok: "boolean" } },
        },
      },
    });
    const out = await block.call([
      { meta: { source: "wiki", tags: ["a"], inner: { ok: true } } },
      { meta: { source: "wiki", tags: ["a"], inner: { ok: true }, extra: 1 } },
      { meta: { source: "wiki", tags: [1], inner: { ok: true } } },
      { meta: { source: "wiki", tags: [], inner: {} } },
    ]);
    expect(out.map((r) => r.is_valid)).toEqual([true, false, false, false]);
    expect((out[2]!.metadata as { path: string }).path).toBe("tags[0]");
    expect((out[3]!.metadata as { path: string }).path).toBe("inner.ok");
  });

  it("rejects unusable configs", async () => {
    await expect(makeBlock("json_schema", { fields: { a: {} } })).rejects.toThrow(
      /exactly one of 'schema'/,
    );
    await expect(makeBlock("json_schema", { shape: { a: "strng" } })).rejects.toThrow(
      /unknown type 'strng'/,
    );
    await expect(makeBlock("json_schema", { schema: { type: "foo" } })).rejects.toThrow(
      /JSON Schema is not usable/,
    );
  });
});
