import { afterAll, describe, expect, it } from "vitest";
import { createBlock } from "../../blocks/create.js";
import { startFakeLLM } from "../../fake-llm/index.js";
import { Registry } from "../../registry/registry.js";
import { buildTaskTools } from "../build.js";
import { toolsSectionSchema } from "../config.js";

const fake = await startFakeLLM({});
afterAll(() => fake.close());
const registry = await Registry.open();
const seen: string[] = [];

fake.configure({
  respond: (r) => {
    const prompt = r.prompt;
    seen.push(JSON.stringify(r.body.messages));
    if (prompt.includes('"find_order"'))
      return '```json\n{"customer_id": "C-9", "status": "", "junk": 1}\n```';
    if (prompt.includes('"refund_customer"')) return '{"error": "refunds are closed today"}';
    return "no JSON here";
  },
});

const lmConfig = {
  type: "openai",
  model_id_or_path: "fake-model",
  base_url: fake.openaiBaseURL,
  api_key: "sk-fake",
  max_retries: 0,
};

async function tools() {
  return buildTaskTools(
    toolsSectionSchema.parse({
      registry: [
        { type: "file", path: "test/fixtures/tools/namespaced.yaml", engine: "sim" },
        {
          type: "file",
          path: "test/fixtures/tools/list.yaml",
          namespace: "weather",
          engine: "sim",
        },
      ],
      engines: { sim: { type: "lm", lm_config: lmConfig } },
    }),
    {
      lm: (c, name) => createBlock(registry, { ...c, name }),
      logger: undefined,
      where: "t.yaml",
      taskName: "t",
    },
  );
}

describe("lm tool engine over HTTP", () => {
  it("keeps the fields output_parameters declares, turns {error} replies into errors, and shows earlier results", async () => {
    const t = await tools();
    await t.engine.setup("s1");
    const [found] = await t.engine.execute("s1", [
      { name: "find_order", namespace: "shop", arguments: { order_number: "A-1" }, call_id: "$1" },
    ]);
    expect(found).toEqual({ call_id: "$1", name: "find_order", result: { customer_id: "C-9" } });
    const [refund] = await t.engine.execute("s1", [
      {
        name: "refund_customer",
        namespace: "shop",
        arguments: { customer_id: "C-9", amount: 5, reason: "late" },
        call_id: "$2",
      },
    ]);
    expect(refund!.error).toBe("refunds are closed today");
    // The second prompt carries the first call and its result, so the simulation stays consistent.
    expect(seen.at(-1)).toContain("C-9");
    expect(seen.at(-1)).toContain("find_order");
    const [none] = await t.engine.execute("s1", [
      { name: "get_forecast", namespace: "weather", arguments: { city: "Oslo" } },
    ]);
    expect(none!.error).toBe("failed to generate valid tool result");
    await t.close();
  });
  it("simulate answers as execute would, each call seeing the batch's earlier ones, and leaves the session as it was", async () => {
    const t = await tools();
    await t.engine.setup("s3");
    const find = {
      name: "find_order",
      namespace: "shop",
      arguments: { order_number: "A-2" },
      call_id: "$1",
    };
    const forecast = { name: "get_forecast", namespace: "weather", arguments: { city: "Oslo" } };
    const [probe, after] = await t.engine.simulate("s3", [find, forecast]);
    expect(probe).toEqual({ call_id: "$1", name: "find_order", result: { customer_id: "C-9" } });
    expect(after!.error).toBe("failed to generate valid tool result");
    expect(seen.at(-1)).toContain("find_order");
    // The session did not keep the simulated calls: the next executed call sees none of them.
    await t.engine.execute("s3", [forecast]);
    expect(seen.at(-1)).not.toContain("find_order");
    await t.engine.execute("s3", [find]);
    const [again] = await t.engine.simulate("s3", [forecast]);
    expect(again!.error).toBe("failed to generate valid tool result");
    expect(seen.at(-1)).toContain("find_order");
    const [noEngine] = await t.engine.simulate("s3", [
      { name: "x", namespace: "shopp", arguments: {} },
    ]);
    expect(noEngine!.error).toMatch(/did you mean 'shop'/);
    await t.close();
  });
  it("fails calls of unknown tools and of namespaces no engine serves, naming the closest", async () => {
    const t = await tools();
    const [unknown, noEngine] = await t.engine.execute("s2", [
      { name: "find_orders", namespace: "shop", arguments: {} },
      { name: "x", namespace: "shopp", arguments: {} },
    ]);
    expect(unknown!.error).toBe("Unknown tool 'shop::find_orders'");
    expect(noEngine!.error).toMatch(
      /no tool engine serves namespace 'shopp' \(did you mean 'shop'/,
    );
    await t.close();
  });
});
