import { describe, expect, it } from "vitest";
import { ConfigError, MissingFileError, ToolDefinitionError } from "../errors.js";
import { buildTaskTools } from "./build.js";
import { toolsSectionSchema } from "./config.js";
import { readToolFile } from "./loaders/file.js";
import { ToolRegistry } from "./registry.js";
import { toolFromDict } from "./tool-dict.js";
import { qualifiedName, schemaFingerprint } from "./types.js";

const F = "test/fixtures/tools";
const ctx = {
  lm: async () => {
    throw new Error("no LM in this test");
  },
  logger: undefined,
  where: "task.yaml",
  taskName: "t",
};

describe("tool files (DiGiT's three shapes)", () => {
  it("reads a list, a {namespace: [tools]} mapping and a {name: tool} mapping", () => {
    expect(readToolFile(`${F}/list.yaml`).map(qualifiedName)).toEqual([
      "default::get_forecast",
      "default::convert_units",
    ]);
    expect(readToolFile(`${F}/namespaced.yaml`).map(qualifiedName)).toEqual([
      "shop::find_order",
      "shop::refund_customer",
    ]);
    expect(readToolFile(`${F}/by-name.json`).map(qualifiedName)).toEqual(["default::lookup_word"]);
  });
  it("reads every namespace of a {namespace: [tools]} file, not only the first", () => {
    expect(readToolFile(`${F}/two-namespaces.yaml`).map(qualifiedName)).toEqual([
      "weather::get_forecast",
      "billing::get_invoice",
      "billing::pay_invoice",
    ]);
    expect(readToolFile(`${F}/two-namespaces.yaml`, "all").map(qualifiedName)).toEqual([
      "all::get_forecast",
      "all::get_invoice",
      "all::pay_invoice",
    ]);
  });
  it("rejects a file that mixes namespaces and single tools at its top level", () => {
    expect(() => readToolFile(`${F}/mixed-shapes.yaml`)).toThrow(ToolDefinitionError);
    expect(() => readToolFile(`${F}/mixed-shapes.yaml`)).toThrow(/'lookup_word' is not a list/);
  });
  it("lets the registry entry's namespace win over the file's", () => {
    expect(readToolFile(`${F}/namespaced.yaml`, "store").map((t) => t.namespace)).toEqual([
      "store",
      "store",
    ]);
  });
  it("rejects a missing file, an unknown format and a schema that is not a JSON Schema", () => {
    expect(() => readToolFile(`${F}/nope.yaml`)).toThrow(MissingFileError);
    expect(() => readToolFile("package.json.txt")).toThrow(/does not exist|unsupported format/);
    expect(() => readToolFile(`${F}/bad-schema.yaml`)).toThrow(ToolDefinitionError);
    expect(() => readToolFile(`${F}/bad-schema.yaml`)).toThrow(
      /tool 'broken' parameters: not a JSON Schema/,
    );
    expect(() => toolFromDict({ description: "x" }, "n", "here")).toThrow(/a tool has no 'name'/);
    expect(() => toolFromDict("x", "n", "here")).toThrow(/must be a mapping/);
  });
});

describe("ToolRegistry", () => {
  const [a, b] = readToolFile(`${F}/namespaced.yaml`);
  it("keeps overloads apart by parameter schema and refuses exact duplicates", () => {
    const other = {
      ...a!,
      parameters: { type: "object", properties: { email: { type: "string" } } },
    };
    const reg = new ToolRegistry([a!, b!, other]);
    expect(reg.get("shop::find_order")).toHaveLength(2);
    expect(reg.match({ name: "find_order", namespace: "shop", arguments: { email: "x@y" } })).toBe(
      other,
    );
    expect(
      reg.match({ name: "find_order", namespace: "shop", arguments: { order_number: "A-1" } }),
    ).toBe(a);
    expect(reg.byFingerprint("shop::find_order", schemaFingerprint(other.parameters))).toBe(other);
    expect(() => reg.add({ ...a! })).toThrow(/defined twice/);
    expect(reg.match({ name: "find_order", namespace: "other", arguments: {} })).toBeUndefined();
  });
});

describe("buildTaskTools", () => {
  it("loads file and inline entries into one registry", async () => {
    const section = toolsSectionSchema.parse({
      registry: [
        { type: "file", path: `${F}/namespaced.yaml` },
        {
          type: "inline",
          namespace: "math",
          tools: [
            { name: "add", parameters: { type: "object", properties: { a: { type: "number" } } } },
          ],
        },
      ],
    });
    const tools = await buildTaskTools(section, ctx);
    expect(tools.registry.namespaces()).toEqual(["math", "shop"]);
    expect(tools.registry.size).toBe(3);
  });
  it("accepts a bare list as the registry", () => {
    expect(toolsSectionSchema.parse([{ type: "file", path: "x.yaml" }])).toMatchObject({
      registry: [{ type: "file" }],
      engines: {},
      enrichments: [],
    });
  });
  it("names the closest loader, engine or enrichment when one is unknown", async () => {
    await expect(
      buildTaskTools(toolsSectionSchema.parse({ registry: [{ type: "fiel", path: "x" }] }), ctx),
    ).rejects.toThrow(/tool loader 'fiel' is not known \(did you mean 'file'\?/);
    await expect(
      buildTaskTools(
        toolsSectionSchema.parse({
          registry: [{ type: "file", path: `${F}/list.yaml`, engine: "sim" }],
          engines: { simulator: { type: "lm" } },
        }),
        ctx,
      ),
    ).rejects.toThrow(/engine 'sim' is not defined in tools.engines \(did you mean 'simulator'/);
    await expect(
      buildTaskTools(
        toolsSectionSchema.parse({
          registry: [{ type: "file", path: `${F}/list.yaml`, engine: "e" }],
          engines: { e: { type: "lmm" } },
        }),
        ctx,
      ),
    ).rejects.toThrow(/tool engine 'lmm' is not known \(did you mean 'lm'/);
    await expect(
      buildTaskTools(toolsSectionSchema.parse({ enrichments: [{ type: "neighbours" }] }), ctx),
    ).rejects.toThrow(ConfigError);
  });
  it("rejects unknown loader keys and an enrichment whose dependency is missing", async () => {
    await expect(
      buildTaskTools(
        toolsSectionSchema.parse({ registry: [{ type: "file", path: `${F}/list.yaml`, pth: 1 }] }),
        ctx,
      ),
    ).rejects.toThrow(/pth/);
    await expect(
      buildTaskTools(
        toolsSectionSchema.parse({
          registry: [{ type: "file", path: `${F}/list.yaml` }],
          enrichments: [{ type: "neighbors", provider: { type: "mock" } }],
        }),
        ctx,
      ),
    ).rejects.toThrow(/needs the 'embeddings' enrichment/);
  });
});
