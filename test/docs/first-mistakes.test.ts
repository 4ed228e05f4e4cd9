import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digit, ROOT, tempDir } from "../cli/helpers.js";

// The README's first example, with the mistakes a newcomer makes first. Each must say what is
// wrong, where (file:line), and how to fix it, with no stack trace, before any output is written.
const QA = "tasks/public/examples/qa/task.yaml";
const MOCK = ["--config-path", "configs/mock/public/examples/qa.yaml"];

function variant(name: string, edit: (text: string) => string): string {
  const file = join(tempDir("digit-mistakes-"), name);
  writeFileSync(file, edit(readFileSync(join(ROOT, QA), "utf8")));
  return file;
}

function expectClear(stderr: string, what: string, where: RegExp, fix: string): void {
  expect(stderr).toContain(what);
  expect(stderr).toMatch(where);
  expect(stderr).toContain(`fix: ${fix}`);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe("first-step mistakes on the README's example", () => {
  it("a typo'd task key: named, with its line and the closest key", async () => {
    const file = variant("task.yaml", (t) => t.replace(/^seed_examples:/m, "seed_exampels:"));
    const r = await digit(["validate", file, "--include-namespaces", "public", ...MOCK]);
    expect(r.code).not.toBe(0);
    expectClear(
      r.stderr,
      "unknown key 'seed_exampels'",
      /task\.yaml:\d+\)/,
      "did you mean 'seed_examples'?",
    );
  });

  it("a typo'd runner_config key: the line of the key inside runner_config", async () => {
    const file = variant("task.yaml", (t) => `${t}runner_config:\n  num_output_to_generate: 3\n`);
    const line = readFileSync(file, "utf8").split("\n").indexOf("  num_output_to_generate: 3") + 1;
    const r = await digit(["validate", file, "--include-namespaces", "public", ...MOCK]);
    expect(r.code).not.toBe(0);
    expectClear(
      r.stderr,
      "unknown key 'num_output_to_generate'",
      new RegExp(`task\\.yaml:${line}\\)`),
      "did you mean 'num_outputs_to_generate'?",
    );
  });

  it("a misspelled builder name: the closest builder", async () => {
    const file = variant("task.yaml", (t) =>
      t.replace(/^data_builder: .*$/m, "data_builder: public/examples/geograpy_qa"),
    );
    const r = await digit(["validate", file, "--include-namespaces", "public"]);
    expect(r.code).not.toBe(0);
    expectClear(
      r.stderr,
      "no data builder named 'public/examples/geograpy_qa'",
      /task\.yaml:\d+\)/,
      "did you mean 'public/examples/geography_qa'?",
    );
  });

  it("a public task without --include-namespaces public: the flag to add", async () => {
    const r = await digit(["validate", QA, ...MOCK]);
    expect(r.code).not.toBe(0);
    expectClear(
      r.stderr,
      "namespace 'public', which is not enabled",
      /task\.yaml:\d+\)/,
      "add --include-namespaces public",
    );
  });
});
