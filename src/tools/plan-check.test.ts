import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, ToolDefinitionError } from "../errors.js";
import { toolsSectionSchema } from "./config.js";
import { plannedTools } from "./plan-check.js";

const FILE = resolve("test/fixtures/tools/namespaced.yaml");
const INLINE = { type: "inline", namespace: "calc", tools: [{ name: "add", description: "" }] };
const section = (registry: unknown[]) => toolsSectionSchema.parse({ registry });

describe("plannedTools: a task's tools, loaded while the run is planned", () => {
  it("reads tool files (with the namespace the file names) and inline lists", async () => {
    const tools = await plannedTools(
      section([{ type: "file", path: FILE }, INLINE]),
      "t",
      "t.yaml",
    );
    const names = tools.map((t) => `${t.namespace}/${t.name}`);
    expect(names).toContain("shop/find_order");
    expect(names).toContain("calc/add");
  });
  it("refuses a tool defined twice and an unknown loader type, with the closest type", async () => {
    await expect(plannedTools(section([INLINE, INLINE]), "t", "t.yaml")).rejects.toBeInstanceOf(
      ToolDefinitionError,
    );
    const e = await plannedTools(section([{ type: "fiel", path: FILE }]), "t", "t.yaml").catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toMatch(/did you mean 'file'/);
    expect((e as ConfigError).file).toBe("t.yaml");
  });
  it("refuses an engine name that tools.engines does not define, with the closest name", async () => {
    const tools = toolsSectionSchema.parse({
      registry: [{ ...INLINE, engine: "simulatr" }],
      engines: { simulator: { type: "lm" } },
    });
    await expect(plannedTools(tools, "t", "t.yaml")).rejects.toThrow(
      /engine 'simulatr' is not defined in tools.engines \(did you mean 'simulator'/,
    );
  });
});
