import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import type { Row } from "../../src/util/mapping.js";
import { withEnv } from "../support/with-env.js";
import { digitRun, readJsonl, tempDir, writeOverride } from "./support.js";

const TASK = "test/tool_calling/mcp";
const TASK_FILE = "test/fixtures/builders/tool_calling/mcp-task.yaml";
const SERVER = "test/support/mcp/tools-server.mjs";
const mock = {
  name: "generator",
  type: "mock",
  model_id_or_path: "mock",
  responses: ["{{example_answer}}"],
};
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill();
});

async function run(dir: string, tools?: Row, n = 6): Promise<number> {
  const override = writeOverride(dir, "o.yaml", {
    databuilders: { "tool_calling/multi_turn/stateless": { blocks: [mock] } },
    ...(tools ? { tasks: { [TASK]: { tools } } } : {}),
  });
  return withEnv({ DGT_CACHE_DIR: join(dir, "cache") }, () =>
    digitRun([
      TASK_FILE,
      "--config-path",
      override,
      "--output-dir",
      dir,
      "--restart",
      "--num-outputs-to-generate",
      String(n),
      "--include-namespaces",
      "public",
      "--seed",
      "3",
    ]),
  );
}

const results = (records: Row[]) =>
  records.flatMap((r) =>
    (r.steps as Row[])
      .filter((s) => s.role === "tool_result")
      .map((s) => (s.content as Row).result),
  );
const mcpTools = (server: Row) => ({
  registry: [{ type: "mcp", namespace: "calc", engine: "mcp", ...server }],
  engines: { mcp: { type: "mcp", timeout: 5 } },
});

describe("tool-calling task over a real MCP server", () => {
  it("stdio: planned calls run on the server; results are the server's", async () => {
    const dir = tempDir("tc-mcp-stdio");
    expect(await run(dir)).toBe(0);
    const final = readJsonl(join(dir, TASK, "final_data.jsonl"));
    expect(final).toHaveLength(6);
    const r = results(final);
    expect(r.length).toBeGreaterThanOrEqual(12);
    // lookup_city answers from the server's own table; add returns the real sum.
    expect(
      r.some(
        (x) =>
          JSON.stringify(x) === JSON.stringify({ country: "Norway", population: 709037 }) ||
          (x as Row).sum !== undefined,
      ),
    ).toBe(true);
    for (const rec of final) {
      const steps = rec.steps as Row[];
      for (const [i, s] of steps.entries()) {
        if (s.role !== "tool_call" || (s.content as Row).name !== "add") continue;
        const args = (s.content as Row).arguments as { a: number; b: number };
        expect(((steps[i + 1]!.content as Row).result as Row).sum).toBe(args.a + args.b);
      }
    }
  });

  it("streamable HTTP", async () => {
    const child = spawn(process.execPath, [SERVER, "--http", "0"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    const line = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout! }).once("line", resolve),
    );
    const dir = tempDir("tc-mcp-http");
    expect(await run(dir, mcpTools({ base_url: line.replace("listening on ", "").trim() }))).toBe(
      0,
    );
    expect(readJsonl(join(dir, TASK, "final_data.jsonl"))).toHaveLength(6);
  });

  it("a server that dies mid-run fails only the conversations in flight; the run finishes", async () => {
    const dir = tempDir("tc-mcp-die");
    const code = await run(
      dir,
      mcpTools({ command: "node", args: [SERVER, "--die-after", "5", join(dir, "died")] }),
      6,
    );
    expect(code).toBe(0);
    expect(readJsonl(join(dir, TASK, "final_data.jsonl"))).toHaveLength(6);
    const logs = readJsonl(join(dir, TASK, "logs.jsonl")).map((l) =>
      String(l.message ?? l.msg ?? ""),
    );
    expect(logs.some((m) => /execute: calc::\w+ failed: MCP server/.test(m))).toBe(true);
  });
});
