import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readJsonl, runFixture, task, tempDir } from "./helpers.js";

/** What final_data must hold: the accepted records read back and written again, line by line. */
const reencoded = (file: string) =>
  readJsonl(file)
    .map((r) => `${JSON.stringify(r)}\n`)
    .join("");

describe("final_data", () => {
  it("of a transformation is the bytes of its records, as reading and writing them gives", async () => {
    const out = tempDir();
    const result = await runFixture({ taskPaths: [task("transform")], outputDir: out });
    expect(result.outcomes[0]!.status).toBe("completed");
    const dir = join(out, "test/transform");
    const final = readFileSync(join(dir, "final_data.jsonl"), "utf8");
    expect(final.length).toBeGreaterThan(0);
    expect(final).toBe(reencoded(join(dir, "data.jsonl")));
    expect(
      readJsonl(join(dir, "final_data.jsonl")).every((r) => /^[0-9a-f]{16}$/.test(String(r.id))),
    ).toBe(true);
  });

  it("of adopted records (written by DiGiT, without ids) is encoded afresh, ids included", async () => {
    const out = tempDir();
    const dir = join(out, "test/gen_b");
    mkdirSync(dir, { recursive: true });
    const digit = [1, 2, 3].map(
      (i) => `{"task_name": "test/gen_b", "is_seed": false, "text": "made by DiGiT ${i}"}`,
    );
    writeFileSync(join(dir, "data.jsonl"), `${digit.join("\n")}\n`);
    const override = join(out, "no-postprocessing.yaml");
    writeFileSync(override, "databuilders:\n  test/echo_gen:\n    postprocessors: []\n");
    const run = () =>
      runFixture({ taskPaths: [task("gen_b")], outputDir: out, configPath: override });
    expect((await run()).outcomes[0]!.status).toBe("completed");
    expect(existsSync(join(dir, "postproc_data_1.jsonl"))).toBe(false); // no snapshot in between
    const final = readFileSync(join(dir, "final_data.jsonl"), "utf8");
    const records = readJsonl(join(dir, "final_data.jsonl"));
    expect(records.slice(0, 3).map((r) => r.text)).toEqual(
      [1, 2, 3].map((i) => `made by DiGiT ${i}`),
    );
    expect(records.every((r) => typeof r.id === "string")).toBe(true);
    expect(final).not.toContain('": "'); // digit's encoding, not DiGiT's
    // Resumed from digit's own checkpoint, the folder still holds adopted lines: same result.
    expect((await run()).outcomes[0]!.status).toBe("completed");
    expect(readFileSync(join(dir, "final_data.jsonl"), "utf8")).toBe(final);
  });
});
