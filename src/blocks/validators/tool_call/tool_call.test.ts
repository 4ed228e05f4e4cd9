import { describe, expect, it } from "vitest";
import { checkToolCalls, type ToolCallCheck } from "./check.js";
import { ToolCallValidator } from "./index.js";

const tools = [
  {
    name: "find_order",
    parameters: {
      type: "object",
      properties: { order_number: { type: "string" } },
      required: ["order_number"],
    },
    output_parameters: { type: "object", properties: { customer_id: { type: "string" } } },
  },
  {
    name: "refund_customer",
    parameters: {
      type: "object",
      properties: { customer_id: { type: "string" }, amount: { type: "number" } },
      required: ["customer_id", "amount"],
    },
  },
];
const base: ToolCallCheck = {
  tools,
  answer: "[]",
  question: "",
  check_arg_question_overlap: false,
  require_nested: false,
  allow_nested: false,
  multi_output: false,
  validate_question: false,
  ignore_types: ["boolean"],
};
const check = (calls: unknown, o: Partial<ToolCallCheck> = {}) =>
  checkToolCalls({
    ...base,
    ...o,
    answer: typeof calls === "string" ? calls : JSON.stringify(calls),
  });

describe("tool_call_validator checks (DiGiT's reasons)", () => {
  it("accepts calls that fit the schemas", () => {
    expect(check([{ name: "find_order", arguments: { order_number: "A-1" } }])).toEqual({
      valid: true,
    });
  });
  it("names what is wrong", () => {
    expect(check("not json").reason).toBe("Failed to parse tool call[s]");
    expect(check({ name: "find_order" }).reason).toBe("Malformed tool call[s]");
    expect(check([{ name: "nope", arguments: {} }]).reason).toBe(
      "Unrecognized/unavailable tool[s]",
    );
    expect(check([{ name: "find_order", arguments: { order_number: 3 } }]).reason).toBe(
      "Parameter validation error",
    );
    expect(check([{ name: "find_order", arguments: { order_number: "A", extra: 1 } }]).reason).toBe(
      "Hallucinated argument name",
    );
    expect(check([{ name: "find_order", arguments: { order_number: "A" }, why: 1 }]).reason).toBe(
      "Malformed tool call with additional keys",
    );
    const dup = { name: "find_order", arguments: { order_number: "A" } };
    expect(check([dup, dup]).reason).toBe("Duplicate tool call[s]");
  });
  it("checks argument values against the question when asked", () => {
    const calls = [{ name: "find_order", arguments: { order_number: "A-1001" } }];
    expect(
      check(calls, { question: "Where is order A-1001?", check_arg_question_overlap: true }).valid,
    ).toBe(true);
    expect(
      check(calls, { question: "Where is my order?", check_arg_question_overlap: true }).reason,
    ).toBe("Hallucinated argument value");
    expect(
      check(calls, { question: "call find_order please", validate_question: true }).reason,
    ).toBe("Question contains tool call[s]");
  });
  it("allows references to earlier outputs only when nesting is allowed, and requires them when asked", () => {
    const chain = [
      { name: "find_order", arguments: { order_number: "A-1" }, id: "$1" },
      {
        name: "refund_customer",
        arguments: { customer_id: "$1.customer_id", amount: 5 },
        id: "$2",
      },
    ];
    expect(check(chain, { allow_nested: true }).valid).toBe(true);
    expect(check(chain, { require_nested: true }).valid).toBe(true);
    expect(check(chain).reason).toBe("Nested tool call validation failed");
    expect(check([chain[0]], { require_nested: true }).reason).toBe(
      "Nested tool call validation failed",
    );
    const forward = [
      { ...chain[1], id: "$1", arguments: { customer_id: "$2.customer_id", amount: 5 } },
      { ...chain[0], id: "$2" },
    ];
    expect(check(forward, { allow_nested: true }).reason).toBe(
      "Nested future tool call reference failure",
    );
    const indirect = [
      chain[0],
      { ...chain[1], arguments: { customer_id: "the $1.customer_id", amount: 5 } },
    ];
    expect(check(indirect, { allow_nested: true }).reason).toMatch(
      /Indirect variable reference|Parameter validation error/,
    );
  });
});

describe("tool_call_validator block", () => {
  it("marks rows and reports reasons in metadata", async () => {
    const block = new ToolCallValidator({ name: "v", type: "tool_call_validator" });
    const out = await block.call([
      {
        tools,
        answer: JSON.stringify([{ name: "find_order", arguments: { order_number: "A-1" } }]),
        question: "order A-1",
      },
      { tools, answer: JSON.stringify([{ name: "find_order", arguments: { order_no: "A-1" } }]) },
    ]);
    expect(out.map((r) => r.is_valid)).toEqual([true, false]);
    expect((out[1]!.metadata as { reason: string }).reason).toBe("Parameter validation error");
  });
});
