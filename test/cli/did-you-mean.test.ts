import { describe, expect, it } from "vitest";
import { completionOrClosest } from "../../src/util/did-you-mean.js";
import { digit } from "./helpers.js";

describe("did-you-mean for unknown options and commands", () => {
  it("completes an abbreviated option of a subcommand: --num-outputs → --num-outputs-to-generate (exit 2)", async () => {
    for (const flag of ["--num-outputs", "--num-outputs=5"]) {
      const r = await digit(["run", flag, "5", "tasks/public/examples/qa/task.yaml"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`unknown option '${flag}'`);
      expect(r.stderr).toContain("did you mean --num-outputs-to-generate?");
    }
  });

  it("suggests the closest option for a typo, and nothing for a flag like no other", async () => {
    const typo = await digit([
      "validate",
      "--include-namespace",
      "public",
      "tasks/public/examples/qa/task.yaml",
    ]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean --include-namespaces?");
    const none = await digit(["list", "blocks", "--zzzzzzzz"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("unknown option '--zzzzzzzz'");
    expect(none.stderr).not.toMatch(/did you mean/i);
  });

  it("completes an abbreviated command: desc → describe (exit 2)", async () => {
    const r = await digit(["desc", "rouge_scorer"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'desc'");
    expect(r.stderr).toContain("did you mean describe?");
  });

  it("prefers a name the input begins over a nearer edit", () => {
    expect(
      completionOrClosest("num-outputs", ["output-dir", "num-outputs-to-generate", "seed"]),
    ).toBe("num-outputs-to-generate");
    expect(completionOrClosest("seeed", ["seed", "seed-batch-size"])).toBe("seed");
    expect(completionOrClosest("zzzz", ["seed"])).toBeUndefined();
  });
});
