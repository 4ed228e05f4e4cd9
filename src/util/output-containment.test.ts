import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isDigitError } from "../errors.js";
import { assertInsideOutput } from "./output-containment.js";

function sandbox(): { root: string; outside: string } {
  const dir = mkdtempSync(join(tmpdir(), "digit-contain-"));
  const root = join(dir, "output");
  const outside = join(dir, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  return { root, outside };
}

async function refusal(root: string, file: string): Promise<string> {
  const e = await assertInsideOutput(root, file).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(isDigitError(e), String(e)).toBe(true);
  expect((e as { code: string }).code).toBe("DIGIT_OUTPUT_OUTSIDE");
  return (e as Error).message;
}

describe("assertInsideOutput", () => {
  it("accepts plain files and folders, missing ones, and a missing output folder", async () => {
    const { root } = sandbox();
    mkdirSync(join(root, "qa"));
    writeFileSync(join(root, "qa/data.jsonl"), "");
    await assertInsideOutput(root, join(root, "qa/data.jsonl"));
    await assertInsideOutput(root, join(root, "qa/new/deeper/file.jsonl"));
    await assertInsideOutput(join(root, "not-yet"), join(root, "not-yet/qa/data.jsonl"));
  });

  it("accepts links that stay inside, and an output folder that is itself a link", async () => {
    const { root, outside } = sandbox();
    mkdirSync(join(root, "real"));
    symlinkSync(join(root, "real"), join(root, "alias"));
    await assertInsideOutput(root, join(root, "alias/data.jsonl"));
    const linkedRoot = join(outside, "..", "linked-output");
    symlinkSync(root, linkedRoot);
    await assertInsideOutput(linkedRoot, join(linkedRoot, "alias/data.jsonl"));
  });

  it("refuses a file below the output folder only by name (../)", async () => {
    const { root } = sandbox();
    expect(await refusal(root, join(root, "../x.jsonl"))).toMatch(/is outside the output folder/);
  });

  it("refuses a file linked outside, a folder linked outside, and a dangling link", async () => {
    const { root, outside } = sandbox();
    writeFileSync(join(outside, "victim.jsonl"), "keep\n");
    symlinkSync(join(outside, "victim.jsonl"), join(root, "data.jsonl"));
    expect(await refusal(root, join(root, "data.jsonl"))).toMatch(
      /data\.jsonl' is a symbolic link to '.*victim\.jsonl', outside the output folder/,
    );
    symlinkSync(outside, join(root, "task"));
    expect(await refusal(root, join(root, "task/data.jsonl"))).toMatch(
      /task' \(a folder on the way to .*\) is a symbolic link/,
    );
    symlinkSync(join(outside, "nowhere.jsonl"), join(root, "dangling.jsonl"));
    expect(await refusal(root, join(root, "dangling.jsonl"))).toMatch(
      /a target that does not exist/,
    );
    expect(readFileSync(join(outside, "victim.jsonl"), "utf8")).toBe("keep\n");
  });
});
