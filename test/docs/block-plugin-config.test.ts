import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { ROOT } from "../cli/helpers.js";
import { MinLength } from "./fixtures/min_length.js";

const TUTORIAL = join(ROOT, "docs", "tutorials", "write-a-block-plugin.md");
const FIXTURE = join(ROOT, "test", "docs", "fixtures", "min_length.ts");

/** The plugin file the tutorial writes (its `cat > plugins/min_length.ts` heredoc). */
function tutorialPlugin(): string {
  const md = readFileSync(TUTORIAL, "utf8");
  const m = /cat > plugins\/min_length\.ts <<'TS'\n([\s\S]*?)\nTS\n/.exec(md);
  if (!m) throw new Error("the tutorial no longer writes plugins/min_length.ts");
  return `${m[1]}\n`;
}

describe("the block-plugin tutorial's config", () => {
  it("is the file type-checked here (npm run typecheck checks the assertions below)", () => {
    expect(tutorialPlugin()).toBe(readFileSync(FIXTURE, "utf8"));
  });

  it("types this.config from the one schema the block declares", () => {
    expectTypeOf<MinLength["config"]["min_chars"]>().toEqualTypeOf<number>();
    expectTypeOf<MinLength["config"]["filter"]>().toEqualTypeOf<boolean | null | undefined>();
    expectTypeOf<MinLength["config"]["name"]>().toEqualTypeOf<string>();
    // A key the schema does not declare is not on the config.
    expectTypeOf<MinLength["config"]>().not.toHaveProperty("max_chars");
  });

  it("applies the schema's default once, at construction", async () => {
    const block = new MinLength({ name: "len", type: "my_org/min_length" });
    expect(block.config.min_chars).toBe(10);
    const rows = await block.call([{ input: "short" }, { input: "long enough text" }]);
    expect(rows.map((r) => r.is_valid)).toEqual([false, true]);
    expect(
      new MinLength({ name: "len", type: "my_org/min_length", min_chars: 3 }).config.min_chars,
    ).toBe(3);
  });

  it("refuses a key the schema does not declare, with the closest known key", () => {
    expect(() => new MinLength({ name: "len", type: "my_org/min_length", min_char: 3 })).toThrow(
      ConfigError,
    );
    expect(() => new MinLength({ name: "len", type: "my_org/min_length", min_char: 3 })).toThrow(
      /min_char/,
    );
  });
});
