import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { parseToolName, selectTools } from "./select.js";
import type { Tool } from "./types.js";

const tool = (namespace: string, name: string): Tool => ({
  name,
  namespace,
  description: "",
  parameters: {},
  output_parameters: {},
  metadata: {},
});
const ALL = [tool("calc", "add"), tool("calc", "word_count"), tool("shop", "find_order")];
const names = (ts: Tool[]) => ts.map((t) => `${t.namespace}/${t.name}`);

describe("tool names of a tools: list", () => {
  it("reads *, namespaces, ns/* and one tool (ns/tool or ns::tool)", () => {
    expect(parseToolName("*")).toEqual({ namespace: undefined });
    expect(parseToolName("calc")).toEqual({ namespace: "calc" });
    expect(parseToolName("calc/*")).toEqual({ namespace: "calc" });
    expect(parseToolName("calc/add")).toEqual({ namespace: "calc", tool: "add" });
    expect(parseToolName("calc::add")).toEqual({ namespace: "calc", tool: "add" });
  });
  it("selects each tool once, whatever names overlap", () => {
    expect(names(selectTools(ALL, ["*"], "x"))).toEqual(names(ALL));
    expect(names(selectTools(ALL, ["calc/*", "calc::add"], "x"))).toEqual([
      "calc/add",
      "calc/word_count",
    ]);
    expect(names(selectTools(ALL, ["shop/find_order"], "x"))).toEqual(["shop/find_order"]);
  });
  it("refuses a name that matches nothing, with the closest name and the place", () => {
    const err = (() => {
      try {
        selectTools(ALL, ["calc/ad"], "column 'a' tools", { file: "t.yaml", line: 9 });
      } catch (e) {
        return e as ConfigError;
      }
    })()!;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toBe("column 'a' tools: no tool 'calc/ad' in the task's tools");
    expect(err.hint).toMatch(/^did you mean 'calc\/add'\?/);
    expect([err.file, err.line]).toEqual(["t.yaml", 9]);
    expect(() => selectTools(ALL, ["shp"], "x")).toThrow(/no namespace 'shp'/);
  });
});
