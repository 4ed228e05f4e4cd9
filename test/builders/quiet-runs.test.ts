import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { digitRun, digitRunOutput, tempDir } from "./support.js";

const QA = [
  "tasks/public/examples/qa/task.yaml",
  "--include-namespaces",
  "public",
  "--config-path",
  "configs/mock/public/examples/qa.yaml",
  "--num-outputs-to-generate",
  "2",
];

afterEach(() => vi.restoreAllMocks());

/** Everything written to this process's stdout and stderr while `fn` runs (what the test output would show). */
async function printedDuring(fn: () => Promise<unknown>): Promise<string> {
  let printed = "";
  const keep = (chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(keep);
  vi.spyOn(process.stderr, "write").mockImplementation(keep);
  await fn();
  vi.restoreAllMocks();
  return printed;
}

describe("in-process runs in tests keep the test output quiet", () => {
  it("digitRun prints nothing: the summary table is captured", async () => {
    let code = -1;
    const printed = await printedDuring(
      async () => (code = await digitRun([...QA, "--output-dir", join(tempDir("quiet"), "out")])),
    );
    expect(code).toBe(0);
    expect(printed).toBe("");
  });

  it("digitRunOutput hands the captured table and warnings to the test", async () => {
    let out = { result: -1, stdout: "", stderr: "" };
    const printed = await printedDuring(
      async () =>
        (out = await digitRunOutput([
          ...QA,
          "--output-dir",
          join(tempDir("quiet"), "out"),
          "--ray-address",
          "x",
        ])),
    );
    expect(printed).toBe("");
    expect(out.result).toBe(0);
    expect(out.stdout).toMatch(/public\/examples\/geography_qa\s+completed/);
    expect(out.stderr).toContain("--ray-address is accepted for DiGiT compatibility and ignored");
  });
});
