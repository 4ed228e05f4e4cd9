import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands/specs.js";
import { cliReference } from "../../src/cli/docs.js";
import { buildProgram } from "../../src/cli/program.js";
import { ROOT } from "../cli/helpers.js";

describe("docs/cli.md", () => {
  it("is what the option declarations generate (regenerate with: npx tsx src/cli/docs.ts)", () => {
    expect(readFileSync(join(ROOT, "docs/cli.md"), "utf8")).toBe(cliReference());
  });

  it("documents every visible option of every command the parser knows", () => {
    const doc = cliReference();
    const program = buildProgram();
    expect(program.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
    for (const cmd of program.commands) {
      expect(doc).toContain(`## digit ${cmd.name()}`);
      for (const o of cmd.options) {
        const hidden = (o as { hidden?: boolean }).hidden === true;
        expect(doc, `${cmd.name()} ${o.flags}`).toContain(
          hidden ? o.flags.split(" ")[0]! : `\`${o.flags}\``,
        );
      }
    }
  });
});
