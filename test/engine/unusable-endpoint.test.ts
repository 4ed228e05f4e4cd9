import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digitRun, readJsonl, tempDir, writeOverride } from "../builders/support.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";

const TASK = "public/examples/geography_qa";

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function runAgainst(block: Record<string, unknown>) {
  const dir = tempDir("unusable");
  const override = writeOverride(dir, "override.yaml", {
    databuilders: { [TASK]: { blocks: [{ name: "generator", ...block }] } },
  });
  const code = await digitRun([
    "tasks/public/examples/qa/task.yaml",
    "--include-namespaces",
    "public",
    "--config-path",
    override,
    "--output-dir",
    dir,
    "--num-outputs-to-generate",
    "50",
  ]);
  const results = readJsonl(join(dir, TASK, "task_results.jsonl"));
  return {
    code,
    last: results.at(-1)!,
    rejects: readJsonl(join(dir, TASK, "blocks", "generator.jsonl")),
    summary: readFileSync(join(dir, "run_summary.json"), "utf8"),
  };
}

let fake: FakeLLM;
beforeAll(async () => {
  fake = await startFakeLLM({
    apiKey: "sk-right",
    responses: ["Question: Q{{n}}?\nAnswer: A{{n}}"],
  });
});
afterAll(() => fake.close());

describe("an endpoint that refuses every request", () => {
  it("nothing listening: the task stops with an error naming the URL and the cause", async () => {
    const port = await closedPort();
    const r = await runAgainst({
      type: "ollama",
      model_id_or_path: "m",
      base_url: `http://127.0.0.1:${port}`,
      max_retries: 0,
    });
    expect(r.code).toBe(1);
    expect(r.last.status).toBe("errored");
    expect(String(r.last.message)).toMatch(
      new RegExp(
        `endpoint at http://127\\.0\\.0\\.1:${port} answered none of the first \\d+ requests: .*ECONNREFUSED`,
      ),
    );
    expect(r.rejects.length).toBeGreaterThanOrEqual(8);
  });

  it("a wrong API key: the 401 reaches the error, and the key does not", async () => {
    const r = await runAgainst({
      type: "openai",
      model_id_or_path: "m",
      base_url: fake.openaiBaseURL,
      api_key: "sk-wrong-key-123456",
    });
    expect(r.code).toBe(1);
    expect(String(r.last.message)).toMatch(/answered none of the first \d+ requests: 401/);
    expect(fake.stats().unauthorized).toBeLessThan(40);
    expect(JSON.stringify(r)).not.toContain("sk-wrong-key-123456");
  });
});
