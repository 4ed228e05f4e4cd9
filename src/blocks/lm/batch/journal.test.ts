import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batchOptionsSchema, executionSchema } from "./config.js";
import { BatchJournal, batchJournalPath } from "./journal.js";

describe("batch journal", () => {
  it("records intent, id and end; reads back after a torn last line; keeps no credentials", () => {
    const file = join(mkdtempSync(join(tmpdir(), "journal-")), "batches.jsonl");
    BatchJournal.closeAll();
    const j = BatchJournal.open(file);
    j.intent({
      local: "dgb_1",
      provider: "openai",
      endpoint: "http://user:pw@127.0.0.1:9/v1",
      model: "m",
      block: "gen",
      at: 1,
      requests: ["a-0", "b-0"],
    });
    j.submitted("dgb_1", "batch_x");
    appendFileSync(file, '{"op":"ended","local":"dgb_1","sta');
    BatchJournal.closeAll();
    const again = BatchJournal.open(file);
    expect(again.skipped).toBe(1);
    expect(again.find("b-0")).toMatchObject({
      local: "dgb_1",
      batchId: "batch_x",
      endpoint: "http://127.0.0.1:9/v1",
    });
    expect(again.find("b-0")?.ended).toBeUndefined();
    expect(again.get("batch_x")?.local).toBe("dgb_1");
    expect(readFileSync(file, "utf8")).not.toContain("pw");
  });

  it("lives in $DGT_BATCH_JOURNAL, else batches.jsonl in $DGT_CACHE_DIR", () => {
    expect(batchJournalPath({ DGT_BATCH_JOURNAL: "j.jsonl" }, "/w")).toBe("/w/j.jsonl");
    expect(batchJournalPath({ DGT_CACHE_DIR: "c" }, "/w")).toBe("/w/c/batches.jsonl");
    expect(batchJournalPath({}, "/w")).toBe("/w/.cache/batches.jsonl");
  });
});

describe("batch config", () => {
  it("has defaults and names the closest execution on a typo", () => {
    expect(batchOptionsSchema.parse(undefined)).toMatchObject({
      window: 2,
      poll_interval: 30,
      retry_errors: "batch",
      online_first: 20,
    });
    const bad = executionSchema.safeParse("bach");
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/did you mean 'batch'/);
  });
});
