import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
// @ts-expect-error: a plain ESM script without types (scripts/ is not compiled).
import { recordProblems } from "../../scripts/check-digit-tasks.mjs";
import { digitRun, readJsonl, tempDir } from "../builders/support.js";
import { withEnv } from "../support/with-env.js";

const TASK = "test/fixtures/compat/knowledge-task.yaml";
const DATA = resolve("test/fixtures/compat/data");

describe("a knowledge task file of DiGiT's shape, run with the mock override", () => {
  it("records carry their documents' text; a short tail joins the chunk before", async () => {
    const dir = tempDir("knowledge-shape");
    const code = await withEnv({ DGT_DATA_DIR: DATA, DGT_CACHE_DIR: join(dir, "cache") }, () =>
      digitRun([
        TASK,
        "--include-namespaces",
        "public",
        "--config-path",
        "configs/mock/public/instructlab/knowledge.yaml",
        "--output-dir",
        dir,
        "--num-outputs-to-generate",
        "12",
        "--no-cache",
      ]),
    );
    expect(code).toBe(0);
    const out = join(dir, "test/knowledge/lighthouses");
    const records = readJsonl(join(out, "final_data.jsonl"));
    const task = parse(readFileSync(TASK, "utf8"));
    const ctx = { dataDir: DATA, taskNum: 12, output: out };
    expect(recordProblems({ knowledge: true }, task, records, ctx)).toEqual([]);
    // keepers.md (645 words) is one chunk at chunk_size 600; history_lights.md (993) is 600 + 393.
    const chunks = new Map<string, number>();
    for (const r of records) {
      const c = r.context as { group: string; chunk_index?: number; content: string };
      chunks.set(`${c.group}#${c.chunk_index ?? 0}`, c.content.split(" ").length);
    }
    expect(Object.fromEntries([...chunks].sort())).toEqual({
      "history_group#0": 600,
      "history_group#1": 393,
      "keepers#0": 645,
    });
  });
});
