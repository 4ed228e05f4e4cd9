import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeBlock } from "../../../../test/support/make-block.js";
import { run } from "../../../engine/run.js";
import { ConfigError } from "../../../errors.js";
import { silentLogger } from "../../../telemetry/logger.js";
import type { Row } from "../../../util/mapping.js";
import { Random } from "../../../util/random.js";
import { distinctSorted, MinHashLsh, optimalBands } from "./lsh.js";
import { shingleHashes } from "./shingles.js";

const WORDS =
  "apple river stone cloud orange bridge candle forest silver window garden thunder pencil rocket marble violin island copper meadow lantern".split(
    " ",
  );

/** Distinct random sentences, and for some of them a copy with one word changed or added. */
function corpus(n: number, seed: string): { texts: string[]; copyOf: Map<number, number> } {
  const rng = new Random(seed);
  const texts: string[] = [];
  const copyOf = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (i > 0 && rng.next() < 0.3) {
      const src = rng.int(texts.length);
      if (copyOf.has(src)) continue;
      const words = texts[src]!.split(" ");
      words.push(`extra${i}`);
      texts.push(words.join(" "));
      copyOf.set(texts.length - 1, src);
    } else {
      texts.push(
        Array.from({ length: 24 }, () => `${WORDS[rng.int(WORDS.length)]}${rng.int(50)}`).join(" "),
      );
    }
  }
  return { texts, copyOf };
}

function jaccard(a: Uint32Array, b: Uint32Array): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let both = 0;
  for (const x of sa) if (sb.has(x)) both++;
  return both / (sa.size + sb.size - both);
}

const rows = (texts: string[]): Row[] =>
  texts.map((text, i) => ({ id: `r${i}`, task_name: "t", text }));

describe("minhash_dedup", () => {
  it("removes near-duplicates, keeps distinct texts, and records the id each reject duplicates", async () => {
    const { block, rejects } = await makeBlock(
      "minhash_dedup",
      { threshold: 0.7, filter: true, input_map: { text: "input" } },
      "near",
    );
    const { texts, copyOf } = corpus(400, "a");
    const out = await block.call(rows(texts));
    const removed = new Set(rejects.map((r) => r.id));
    // Every copy (one word added to 24: Jaccard ≥ 0.87 on 3-word shingles) is caught...
    for (const [copy, src] of copyOf) {
      expect(removed.has(`r${copy}`)).toBe(true);
      const reject = rejects.find((r) => r.id === `r${copy}`)!;
      expect(reject.metadata).toMatchObject({ duplicate_of: `r${src}` });
      expect(reject.block_name).toBe("near");
      expect(String(reject.reason)).toMatch(
        /Estimated Jaccard similarity \([\d.]+\) with record r\d+/,
      );
    }
    // ...and nothing else: unrelated random sentences share almost no 3-word shingle.
    expect(removed.size).toBe(copyOf.size);
    expect(out).toHaveLength(texts.length - copyOf.size);
  });

  it.each([
    // LSH may miss a pair just above the threshold (it is not a candidate): pairs near it are skipped.
    ["exactly (short texts keep their shingle set)", 128, 0.15],
    ["by signatures (long texts)", 64, 0.2],
  ])("verifies candidates %s: decisions agree with exact Jaccard", (_how, numPerm, margin) => {
    const settings = { numPerm, bands: optimalBands(0.6, numPerm), threshold: 0.6, seed: 7 };
    const rng = new Random("pairs");
    let checked = 0;
    for (let i = 0; i < 200; i++) {
      const base = Array.from(
        { length: 40 },
        () => `${WORDS[rng.int(WORDS.length)]}${rng.int(100)}`,
      );
      const other = base.map((w, k) =>
        rng.next() < [0.02, 0.5, 0.3][i % 3]! ? `new${i}x${k}` : w,
      );
      const a = distinctSorted(shingleHashes(base.join(" "), "word", 1));
      const b = distinctSorted(shingleHashes(other.join(" "), "word", 1));
      const j = jaccard(a, b);
      if (Math.abs(j - 0.6) < margin) continue;
      const lsh = new MinHashLsh(settings);
      lsh.add(lsh.signature(a), a);
      const found = lsh.best(lsh.signature(b), b);
      expect(found !== undefined, `Jaccard ${j}`).toBe(j >= 0.6);
      if (numPerm === 128 && found) expect(found.similarity).toBeCloseTo(j, 10);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("is deterministic for a seed, the same in chunks as in one call, and starts afresh on startPass", async () => {
    const { texts } = corpus(300, "b");
    const config = {
      threshold: 0.5,
      filter: true,
      shingle: "char",
      ngram: 5,
      seed: 3,
      input_map: { text: "input" },
    };
    const once = (await (await makeBlock("minhash_dedup", config)).block.call(rows(texts))).map(
      (r) => r.id,
    );
    const again = (await (await makeBlock("minhash_dedup", config)).block.call(rows(texts))).map(
      (r) => r.id,
    );
    expect(again).toEqual(once);
    const { block } = await makeBlock("minhash_dedup", config);
    const chunked: unknown[] = [];
    for (let i = 0; i < texts.length; i += 64)
      chunked.push(...(await block.call(rows(texts).slice(i, i + 64))).map((r) => r.id));
    expect(chunked).toEqual(once);
    // The index now holds every kept text: the same rows again are all duplicates...
    expect(await block.call(rows(texts).slice(0, 5))).toEqual([]);
    // ...until a new pass over the task starts.
    block.startPass("t");
    expect((await block.call(rows(texts).slice(0, 5))).length).toBe(5);
  });

  it("normalises text like the ROUGE-L scorer: case, Unicode forms, punctuation, other scripts", async () => {
    const { block, rejects } = await makeBlock("minhash_dedup", {
      threshold: 0.9,
      filter: true,
      input_map: { text: "input" },
    });
    const out = await block.call([
      { id: "1", task_name: "t", text: "Le café est très bon aujourd'hui, merci beaucoup" },
      {
        id: "2",
        task_name: "t",
        text: "LE CAFE\u0301 EST TRÈS BON AUJOURD'HUI — merci beaucoup !",
      },
      { id: "3", task_name: "t", text: "我爱北京天安门广场" },
      { id: "4", task_name: "t", text: "我爱北京天安门广场。" },
      { id: "5", task_name: "t", text: "!!!" },
      { id: "6", task_name: "t", text: "???" },
    ]);
    expect(out.map((r) => r.id)).toEqual(["1", "3", "5", "6"]);
    expect(rejects.map((r) => (r.metadata as Row).duplicate_of)).toEqual(["1", "3"]);
  });

  it("keeps one index per task", async () => {
    const { block } = await makeBlock("minhash_dedup", {
      filter: true,
      input_map: { text: "input" },
    });
    const out = await block.call([
      { id: "a", task_name: "one", text: "the same sentence in two tasks" },
      { id: "b", task_name: "two", text: "the same sentence in two tasks" },
    ]);
    expect(out).toHaveLength(2);
  });

  it("rejects bad configuration with a hint", async () => {
    await expect(makeBlock("minhash_dedup", { bands: 300, num_perm: 128 })).rejects.toThrow(
      ConfigError,
    );
    await expect(makeBlock("minhash_dedup", { bands: 300, num_perm: 128 })).rejects.toThrow(
      /bands \(300\) is more than num_perm \(128\)/,
    );
    await expect(makeBlock("minhash_dedup", { treshold: 0.5 })).rejects.toMatchObject({
      hint: expect.stringContaining("threshold"),
    });
    await expect(makeBlock("minhash_dedup", { shingle: "sentence" })).rejects.toThrow(/shingle/);
    const { block } = await makeBlock("minhash_dedup", { input_map: { text: "input" } });
    await expect(block.call([{ text: ["a list"] }])).rejects.toThrow(/'input' must be a string/);
  });

  it("as a postprocessor of core/pipeline: streams the dataset and writes rejects with the id they duplicate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-minhash-"));
    const { texts, copyOf } = corpus(120, "c");
    writeFileSync(
      join(dir, "in.jsonl"),
      `${texts.map((text, n) => JSON.stringify({ text, n })).join("\n")}\n`,
    );
    writeFileSync(
      join(dir, "task.yaml"),
      `task_name: my/near\ndata_builder: core/pipeline\ndata:\n  type: default\n  data_path: ${join(dir, "in.jsonl")}\n`,
    );
    writeFileSync(
      join(dir, "override.yaml"),
      "databuilders:\n  core/pipeline:\n    blocks:\n      - { name: near, type: minhash_dedup, threshold: 0.7, filter: true, input_map: { text: input } }\n    postprocessors: [{ name: near }]\n",
    );
    const result = await run({
      taskPaths: [join(dir, "task.yaml")],
      configPath: join(dir, "override.yaml"),
      outputDir: join(dir, "out"),
      logger: silentLogger,
      cwd: dir,
    });
    expect(result.error).toBeUndefined();
    const read = (f: string) =>
      readFileSync(join(dir, "out/my/near", f), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Row);
    const final = read("final_data.jsonl");
    expect(final.map((r) => r.n)).toEqual(texts.map((_, n) => n).filter((n) => !copyOf.has(n)));
    const rejects = read("blocks/near.jsonl");
    const idOf = new Map(read("data.jsonl").map((r) => [r.n, r.id]));
    expect(rejects.map((r) => [r.n, (r.metadata as Row).duplicate_of])).toEqual(
      [...copyOf].map(([copy, src]) => [copy, idOf.get(src)]),
    );
  });
});
