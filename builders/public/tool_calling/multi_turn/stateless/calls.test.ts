import { Random } from "digit-sdg";
import { describe, expect, it } from "vitest";
import type { Tool } from "../../../../../src/tools/types.js";
import {
  between,
  type CallDict,
  firstToolCallJson,
  hiddenIds,
  kendallTau,
  largestConnected,
  leaves,
  occurrence,
  orderedLikePlan,
  renumber,
  syntaxOk,
  tooPlain,
} from "./calls.js";
import { substitute } from "./stages/execute.js";

const a: CallDict = { name: "find_order", arguments: { order_number: "A-1" }, id: "$1" };
const b: CallDict = {
  name: "refund_customer",
  arguments: { customer_id: "$1.customer_id", amount: 5 },
  id: "$2",
};
const lone: CallDict = { name: "get_forecast", arguments: { city: "Oslo" }, id: "$3" };

describe("plan helpers", () => {
  it("extracts the first call list from a reply and checks its shape", () => {
    expect(
      firstToolCallJson(
        between(
          'think <tool_calls> [ {"name": "a", "arguments": {"x": "]"}, "id": "$1"} ] </tool_calls>',
          "tool_calls",
        ),
      ),
    ).toBe('[ {"name": "a", "arguments": {"x": "]"}, "id": "$1"} ]');
    expect(syntaxOk([a, b])).toBe(true);
    expect(syntaxOk([{ name: "a", arguments: {} }])).toBe(false);
    expect(syntaxOk([])).toBe(false);
  });
  it("keeps the largest linked group (at least two new calls) and renumbers it after the context", () => {
    expect(largestConnected([a, b, lone], [])).toEqual([a, b]);
    expect(largestConnected([lone], [])).toEqual([]);
    const ctx: CallDict[] = [
      { name: "x", arguments: { q: 1 }, id: "$1" },
      { name: "y", arguments: { q: 2 }, id: "$2" },
    ];
    const moved = largestConnected(
      [
        { ...a, id: "$5" },
        { ...b, id: "$6", arguments: { customer_id: "$5.customer_id", amount: 5 } },
      ],
      ctx,
    );
    expect(moved.map((c) => c.id)).toEqual(["$3", "$4"]);
    expect(moved[1]!.arguments.customer_id).toBe("$3.customer_id");
    expect(renumber([lone], ["$1", "$9"])[0]!.id).toBe("$10");
  });
  it("finds concrete values and plain plans", () => {
    expect(leaves([a, b])).toEqual(["A-1", 5]);
    expect(
      tooPlain([
        { name: "p", arguments: {} },
        { name: "q", arguments: {} },
      ]),
    ).toBe(true);
    expect(
      tooPlain([
        { name: "p", arguments: { x: "1", y: "2" } },
        { name: "q", arguments: { x: "1" } },
      ]),
    ).toBe(true);
    expect(tooPlain([a, b])).toBe(false);
  });
  it("hides calls others depend on, in dependency order", () => {
    for (let s = 0; s < 5; s++) expect(hiddenIds([a, b], new Random(s))).toEqual(["$1"]);
    expect(hiddenIds([lone], new Random(1))).toEqual([]);
  });
  it("computes Kendall's tau-b and word positions like scipy and DiGiT", () => {
    expect(kendallTau([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(kendallTau([1, 1, 0], [0, 1, 2])).toBeCloseTo(-0.8165, 4);
    expect(kendallTau([1, 1], [0, 1])).toBeNaN();
    expect(occurrence("New York", "fly me to new york", true)).toBe(3);
    expect(occurrence("Oslo", "nothing here", true)).toBe(-1);
  });
  it("accepts requests that name visible values before hidden ones", () => {
    expect(orderedLikePlan([a, b], "Refund 5 euros for order A-1", [a])).toBe(true);
    expect(orderedLikePlan([a, b], "For order A-1 refund 5 euros", [a])).toBe(false);
    expect(orderedLikePlan([a, b], "Refund it", [a])).toBe(false);
  });
});

describe("reference substitution", () => {
  const tools: Tool[] = [
    {
      name: "refund_customer",
      namespace: "shop",
      description: "",
      parameters: {
        type: "object",
        properties: { customer_id: { type: "string" }, amount: { type: "number" } },
      },
      output_parameters: {},
      metadata: {},
    },
  ];
  it("replaces $n.field paths with earlier results and checks the call again", () => {
    expect(substitute(b, { $1: { customer_id: "C-9" } }, tools)!.arguments).toEqual({
      customer_id: "C-9",
      amount: 5,
    });
    expect(substitute(b, { $1: { other: 1 } }, tools)).toBeUndefined();
    expect(substitute(b, { $1: { customer_id: 42 } }, tools)).toBeUndefined();
  });
});
