import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Random } from "../../../util/random.js";
import { type DedupInput, RougeDeduplicator } from "./dedup.js";
import type { RougeType, ScoreFunc } from "./score.js";

const ROOT = join(import.meta.dirname, "../../../..");

/** Texts with many equal and nearly equal ones (a word changed, dropped or added). */
function nearDuplicates(n: number, seed: number): DedupInput[] {
  const rng = new Random(seed);
  const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    if (texts.length && rng.int(3) > 0) {
      const base = texts[rng.int(texts.length)]!.split(" ");
      const edit = rng.int(4);
      if (edit === 1) base[rng.int(base.length)] = words[rng.int(words.length)]!;
      else if (edit === 2 && base.length > 2) base.splice(rng.int(base.length), 1);
      else if (edit === 3) base.push(words[rng.int(words.length)]!);
      texts.push(base.join(" "));
    } else texts.push(Array.from({ length: 4 + rng.int(5) }, () => words[rng.int(40)]).join(" "));
  }
  return texts.map((text, i) => ({ text, id: `r${i}` }));
}

describe("rouge dedup with too many conflicting pairs to list", () => {
  it("decides row by row with exactly the verdicts of the pair list", async () => {
    const cases: [number, ScoreFunc, RougeType[], boolean][] = [
      [0.7, "f1", ["lcs"], true],
      [0.7, "f1", ["lcs"], false],
      [1.0, "f1", ["lcs"], true],
      [0.6, "precision", ["lcs"], true],
      [0.6, "recall", ["lcs"], false],
      [0.5, "f1", ["n_1", "lcs"], true],
      [0, "f1", ["lcs"], true],
    ];
    const inputs = nearDuplicates(600, 7);
    for (const [threshold, scoreFunc, rougeTypes, filtering] of cases) {
      const what = JSON.stringify({ threshold, scoreFunc, rougeTypes, filtering });
      const listed = new RougeDeduplicator({ threshold, scoreFunc, rougeTypes, workers: 1 });
      const rowwise = new RougeDeduplicator({
        threshold,
        scoreFunc,
        rougeTypes,
        workers: 1,
        maxConflicts: 1,
      });
      // Threads that overflow stop each other; the pass is then decided row by row.
      const threads = new RougeDeduplicator({
        threshold,
        scoreFunc,
        rougeTypes,
        workers: 2,
        parallelMinPairs: 0,
        maxConflicts: 100,
      });
      // A first pass, then an incremental one over more texts (earlier ones reused).
      for (const batch of [inputs.slice(0, 400), inputs]) {
        const a = await listed.run(batch, { filtering, scope: "t" });
        expect(
          a.verdicts.some((v) => !v.valid),
          what,
        ).toBe(true);
        for (const other of [rowwise, threads]) {
          const b = await other.run(batch, { filtering, scope: "t" });
          expect(b.verdicts, what).toEqual(a.verdicts);
          expect(b.order, what).toEqual(a.order);
        }
      }
      await threads.close();
    }
  });

  it("25,000 equal questions among 100,000 pass in a 128 MB heap (the pair list took gigabytes)", () => {
    const script = `
      import { RougeDeduplicator } from "./src/blocks/validators/rouge/dedup.ts";
      const texts = Array.from({ length: 100000 }, (_, i) => ({
        text: i % 4 ? "What is the capital of province " + i + "?" : "What is the capital of Examplia?",
      }));
      const out = await new RougeDeduplicator({ threshold: 1, workers: 1 }).run(texts, { filtering: true });
      const dropped = out.verdicts.filter((v) => !v.valid);
      console.log(JSON.stringify({ dropped: dropped.length, matches: new Set(dropped.map((v) => v.match)).size }));
    `;
    const child = spawnSync(
      process.execPath,
      ["--max-old-space-size=128", "--import", "tsx", "--input-type=module", "-e", script],
      { cwd: ROOT, encoding: "utf8" },
    );
    expect(child.status, child.stderr).toBe(0);
    // Every equal question after the first is dropped as a duplicate of the first (input 0).
    expect(JSON.parse(child.stdout.trim())).toEqual({ dropped: 24_999, matches: 1 });
  });
});
