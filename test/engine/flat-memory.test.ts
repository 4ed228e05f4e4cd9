import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cliEnv, MAIN, ROOT, tempDir } from "../cli/helpers.js";

const RECORDS = 200_000;
/** Far below what 200,000 records held in memory take (the run fails with out-of-memory then). */
const HEAP_LIMIT_MB = 64;
/** Generous: the process itself (modules, tsx) takes about half of it. */
const RSS_LIMIT_KB = 300 * 1024;

async function writeInput(file: string): Promise<void> {
  const out = createWriteStream(file);
  for (let i = 0; i < RECORDS; i += 1000) {
    let chunk = "";
    for (let j = i; j < i + 1000; j++)
      chunk += `${JSON.stringify({ question: `What is item ${j} about?`, answer: `Thing ${j % 977}`, n: j })}\n`;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r, e) => out.end((err?: Error | null) => (err ? e(err) : r())));
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file))
    for (const b of chunk as Buffer) if (b === 10) n++;
  return n;
}

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const flags = [
      `--max-old-space-size=${HEAP_LIMIT_MB}`,
      "--import",
      join(ROOT, "test/support/report-max-rss.mjs"),
      "--import",
      "tsx",
    ];
    const child = spawn(process.execPath, [...flags, MAIN, ...args], {
      cwd: ROOT,
      env: cliEnv(env),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("flat memory", () => {
  it("a transformation of 200,000 records, a postprocessing epoch and final_data run in a small heap", async () => {
    const dir = tempDir("digit-flat-");
    await writeInput(join(dir, "in.jsonl"));
    writeFileSync(
      join(dir, "task.yaml"),
      `task_name: scale/rename\ndata_builder: core/pipeline\ndata:\n  type: default\n  data_path: ${join(dir, "in.jsonl")}\n`,
    );
    writeFileSync(
      join(dir, "override.yaml"),
      `databuilders:
  core/pipeline:
    blocks:
      - { name: rename, type: field_map, field_map: { question: prompt } }
      - { name: short, type: length, filter: true, input_map: { answer: input }, min: 9 }
    steps: [rename]
    postprocessors: [{ name: short }]
`,
    );
    const rssFile = join(dir, "rss");
    const r = await run(
      [
        "run",
        join(dir, "task.yaml"),
        "--config-path",
        join(dir, "override.yaml"),
        "--output-dir",
        join(dir, "out"),
      ],
      { DIGIT_TEST_RSS_FILE: rssFile },
    );
    expect(r.stderr).not.toMatch(/heap out of memory/);
    expect(r.code).toBe(0);
    const task = join(dir, "out/scale/rename");
    // "Thing 0" … "Thing 99" (7 and 8 characters) are removed by the postprocessor.
    const removed = Array.from({ length: RECORDS }, (_, j) => j % 977).filter(
      (k) => k < 100,
    ).length;
    expect(await countLines(join(task, "data.jsonl"))).toBe(RECORDS);
    expect(await countLines(join(task, "final_data.jsonl"))).toBe(RECORDS - removed);
    expect(await countLines(join(task, "blocks/short.jsonl"))).toBe(removed);
    const last = readFileSync(join(task, "final_data.jsonl"), "utf8").trimEnd().split("\n").pop()!;
    expect(JSON.parse(last)).toMatchObject({
      prompt: `What is item ${RECORDS - 1} about?`,
      n: RECORDS - 1,
    });
    expect(Number(readFileSync(rssFile, "utf8"))).toBeLessThan(RSS_LIMIT_KB);
  }, 120_000);
});
