import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Row } from "../../src/util/mapping.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { toolCallingRespond } from "../support/tool-calling-fake.js";
import { withEnv } from "../support/with-env.js";
import { digitRunOutput, readJsonl, tempDir, writeOverride } from "./support.js";

// The plugins import only "digit-sdg" and "digit-sdg/tools"; the registry finds them in their
// folder by their text and imports them when the task names their types.
const PLUGINS = "test/fixtures/tool-plugins/plugins";
const TASK_FILE = "test/fixtures/tool-plugins/task.yaml";
const TASK = "test/tool_plugins/ledger";

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({ respond: toolCallingRespond, apiKey: "sk-plain" });
});
afterAll(() => fake.close());

/** `digit run` of the ledger task with the plugin folder and the plugin LLM as the generator. */
async function runLedger(dir: string, extra: Row = {}, taskFile = TASK_FILE) {
  const override = writeOverride(dir, "o.yaml", {
    databuilders: {
      "tool_calling/multi_turn/stateless": {
        blocks: [
          {
            name: "generator",
            type: "plain/chat",
            model_id_or_path: "fake-model",
            base_url: fake.openaiBaseURL,
            max_retries: 0,
          },
        ],
      },
    },
    ...extra,
  });
  return withEnv({ DGT_CACHE_DIR: join(dir, "cache"), PLAIN_CHAT_API_KEY: "sk-plain" }, () =>
    digitRunOutput([
      taskFile,
      "--plugin-dir",
      PLUGINS,
      "--config-path",
      override,
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      "3",
      "--include-namespaces",
      "public",
      "--seed",
      "3",
      "--no-cache",
    ]),
  );
}

describe("a tool plugin and an LLM provider plugin, through `digit run`", () => {
  it("loads, indexes, samples and executes tools with the plugin's types; the plugin LLM answers every stage", async () => {
    const dir = tempDir("tool-plugins");
    fake.reset();
    const out = await runLedger(dir);
    expect(out.result, out.stderr).toBe(0);
    const final = readJsonl(join(dir, TASK, "final_data.jsonl"));
    expect(final).toHaveLength(3);
    for (const r of final) {
      const steps = r.steps as Row[];
      // The plugin sampler's window of 2 tools of the plugin loader's namespace.
      const tools = steps.find((s) => s.role === "tc/sampler")!.tools as Row[];
      expect(tools.map((t) => t.namespace)).toEqual(["ledger", "ledger"]);
      // The plugin engine's results: entries numbered per conversation with its configured prefix.
      const results = steps.filter((s) => s.role === "tool_result").map((s) => s.content as Row);
      expect(results.length).toBeGreaterThan(0);
      expect(results.map((c) => (c.result as Row).entry)).toEqual(
        results.map((_c, i) => `E-${i + 1}`),
      );
    }
    // Every stage's LLM request went through the plugin provider to the server (it needs the key).
    expect(fake.stats().byPath["/v1/chat/completions"]).toBeGreaterThan(0);
  });

  it("names the closest plugin type for a typo, before anything runs", async () => {
    const dir = tempDir("tool-plugins-typo");
    const task = join(dir, "task.yaml");
    writeFileSync(
      task,
      readFileSync(TASK_FILE, "utf8").replace("type: ledger/engine", "type: ledger/engin"),
    );
    const out = await runLedger(dir, {}, task);
    expect(out.result).not.toBe(0);
    expect(out.stderr).toMatch(
      /tool engine 'ledger\/engin' is not known.*did you mean 'ledger\/engine'/,
    );
    expect(readJsonl(join(dir, TASK, "final_data.jsonl"))).toEqual([]);
  });
});
