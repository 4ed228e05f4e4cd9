import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../src/cli/commands/run.js";
import { UnsupportedBuilderError } from "../../src/errors.js";
import { Registry } from "../../src/registry/registry.js";

const TASK = resolve(import.meta.dirname, "../fixtures/time_series/univariate.yaml");

let stderr = "";
beforeEach(() => {
  stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe("DiGiT's time_series builder", () => {
  it("fails at plan time saying why and where the docs are, with the task file and line", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "digit-ts-")), "out");
    const code = await runCommand([TASK], {
      outputDir: out,
      quiet: true,
      includeNamespaces: ["public"],
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^digit: data builder 'time_series' is not available in digit: .*SDForger/,
    );
    expect(stderr).toContain("out of scope for a Node tool");
    expect(stderr).toContain("univariate.yaml:6)");
    expect(stderr).toContain("fix: see docs/compatibility.md#time-series");
    expect(stderr).toContain("[DIGIT_BUILDER_UNSUPPORTED]");
    expect(stderr).not.toContain("no data builder named");
    expect(stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
    expect(existsSync(out)).toBe(false);
  });

  it("is reported the same way with no namespace enabled", async () => {
    const registry = await Registry.open({});
    expect(() => registry.builderYaml("time_series")).toThrow(UnsupportedBuilderError);
  });

  it("leaves other unknown names to the generic error with a suggestion", async () => {
    const registry = await Registry.open({ namespaces: ["public"] });
    expect(() => registry.builderYaml("time_serie")).toThrow(/no data builder named 'time_serie'/);
  });
});
