import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/cli/commands/run.js";
import { redactSecrets } from "../../src/util/redact.js";
import { captureOutput } from "../support/capture-output.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";
import { PLUGINS, task, tempDir } from "./helpers.js";

const KEY = "sk-digit-test-9f8e7d6c5b4a";

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

let server: FakeLLM;
beforeAll(async () => {
  server = await startFakeLLM({ apiKey: KEY, responses: ["item {{n}} answer"] });
});
afterAll(() => server.close());

describe("API keys never reach disk", () => {
  it("a run through the openai provider writes the key to no output, log or telemetry file", async () => {
    const dir = tempDir("digit-secret-");
    const override = join(dir, "override.yaml");
    writeFileSync(
      override,
      `databuilders:\n  test/echo_gen:\n    blocks:\n      - name: generator\n        type: openai\n        model_id_or_path: fake\n        base_url: ${server.openaiBaseURL}\n        api_key: ${KEY}\n        default_headers: { Authorization: "Bearer ${KEY}" }\n`,
    );
    const before = process.env.DGT_TELEMETRY_DIR;
    process.env.DGT_TELEMETRY_DIR = join(dir, "telemetry");
    try {
      const { result: code, stderr } = await captureOutput(() =>
        runCommand([task("gen_b")], {
          pluginDir: [PLUGINS],
          configPath: override,
          outputDir: join(dir, "out"),
          quiet: true,
        }),
      );
      expect(code, stderr).toBe(0);
    } finally {
      if (before === undefined) delete process.env.DGT_TELEMETRY_DIR;
      else process.env.DGT_TELEMETRY_DIR = before;
    }
    expect(server.stats().requests).toBeGreaterThan(0); // the key was really used
    const files = allFiles(dir).filter((f) => f !== override);
    expect(files.some((f) => f.endsWith("task_card.jsonl"))).toBe(true);
    for (const f of files) expect(readFileSync(f, "utf8").includes(KEY), f).toBe(false);
  });

  it("redacts secret-looking keys at any depth", () => {
    expect(
      redactSecrets({
        a: [{ api_key: "x", nested: { access_token: "y", password: "" } }],
        keep: "v",
      }),
    ).toEqual({
      a: [{ api_key: "***", nested: { access_token: "***", password: "" } }],
      keep: "v",
    });
  });
});
