import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { plainDedup } from "../../../../test/support/rouge-oracle.js";
import { Registry } from "../../../registry/registry.js";
import type { Row } from "../../../util/mapping.js";
import { Random } from "../../../util/random.js";
import type { Block } from "../../block.js";
import { createBlock } from "../../create.js";
import { RougeDeduplicator } from "./dedup.js";
import type { ScoreFunc } from "./score.js";

function shuffle<T>(rng: Random, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

const CTX = ["I went to the store yesterday", "blue red yellow green"];
const A = "I went to the store";

let registry: Registry;
beforeAll(async () => {
  registry = await Registry.open();
});

interface Made {
  block: Block;
  rejects: Row[];
}
async function make(config: Row): Promise<Made> {
  const rejects: Row[] = [];
  const block = await createBlock(
    registry,
    { name: "dedup", type: "rouge_scorer", ...config },
    { rejects: async (_b, rows) => void rejects.push(...rows) },
  );
  return { block, rejects };
}

/** Synthetic questions where about a third are light edits of an earlier one. */
function corpus(seed: number, n: number, vocab = 60): string[] {
  const rng = new Random(seed);
  const words = Array.from({ length: vocab }, (_, i) => `w${i}`);
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    if (out.length && rng.next() < 0.35) {
      const base = out[rng.int(out.length)]!.split(" ");
      const edits = 1 + rng.int(3);
      for (let e = 0; e < edits; e++) {
        const at = rng.int(base.length);
        const op = rng.int(3);
        if (op === 0) base[at] = rng.pick(words);
        else if (op === 1 && base.length > 2) base.splice(at, 1);
        else base.splice(at, 0, rng.pick(words));
      }
      out.push(base.join(" "));
    } else {
      out.push(Array.from({ length: 3 + rng.int(12) }, () => rng.pick(words)).join(" "));
    }
  }
  return out;
}

describe("rouge_scorer: DiGiT's expected results", () => {
  it("threshold 0.91 with context: partial match passes, exact context match fails", async () => {
    const { block } = await make({ threshold: 0.91 });
    const rows = [{ q: A }, { q: "I went to the store yesterday" }];
    const out = await block.call(rows, { context: CTX, input_map: { q: "input" } });
    const byText = new Map(out.map((r) => [r.q, r]));
    expect(byText.get(A)!.is_valid).toBe(true);
    expect((byText.get(A)!.metadata as { context_score: number }).context_score).toBeCloseTo(
      10 / 11,
      12,
    );
    expect(byText.get("I went to the store yesterday")!.is_valid).toBe(false);
  });

  it("threshold 1.0: duplicate within the batch fails, exact context match fails", async () => {
    const { block } = await make({ threshold: 1.0 });
    const rows = [
      { input: A, n: 1 },
      { input: A, n: 2 },
      { input: `${A} yesterday`, n: 3 },
    ];
    const out = await block.call(rows, { context: CTX });
    expect(out.map((r) => [r.n, r.is_valid])).toEqual([
      [1, true],
      [2, false],
      [3, false],
    ]);
  });

  it("threshold null: everything valid; threshold 0: any comparison fails", async () => {
    const never = await make({ threshold: null });
    expect(
      (await never.block.call([{ input: A }, { input: A }], { context: CTX })).map(
        (r) => r.is_valid,
      ),
    ).toEqual([true, true]);
    const always = await make({ threshold: 0 });
    expect(
      (await always.block.call([{ input: "one two three" }], { context: CTX }))[0]!.is_valid,
    ).toBe(false);
  });

  it("fast and exact passes agree on random texts at thresholds 0.1 … 1.0", async () => {
    const texts = corpus(11, 110);
    for (const threshold of [0.1, 0.2, 0.5, 0.7, 0.9, 1.0]) {
      for (const scoreFunc of ["f1", "precision", "recall"] as ScoreFunc[]) {
        for (const filtering of [true, false]) {
          const d = new RougeDeduplicator({ threshold, scoreFunc, workers: 0 });
          const fast = await d.run(
            texts.map((text) => ({ text })),
            { filtering },
          );
          const plain = plainDedup(texts, { threshold, scoreFunc, filtering });
          const label = `thr ${threshold} ${scoreFunc} filter ${filtering}`;
          expect(
            fast.verdicts.map((v) => v.valid),
            label,
          ).toEqual(plain.verdicts.map((v) => v.valid));
          expect(
            fast.verdicts.map((v) => v.score),
            label,
          ).toEqual(plain.verdicts.map((v) => v.score));
        }
      }
    }
  });
});

describe("rouge_scorer: greedy order", () => {
  const rowsABC = () => [
    { id: "a", input: "alpha beta gamma delta epsilon" },
    { id: "b", input: "alpha beta gamma delta zeta" }, // near A (0.8)
    { id: "c", input: "theta beta gamma delta zeta" }, // near B (0.8), not near A (0.6)
  ];
  it("a row removed while filtering does not shadow later rows", async () => {
    const { block, rejects } = await make({ threshold: 0.7, filter: true });
    const out = await block.call(rowsABC());
    expect(out.map((r) => r.id)).toEqual(["a", "c"]);
    expect(
      rejects.map((r) => [
        r.id,
        r.duplicate_of ?? (r.metadata as { duplicate_of?: unknown }).duplicate_of,
      ]),
    ).toEqual([["b", "a"]]);
  });
  it("without filtering, invalid rows still count as seen", async () => {
    const { block, rejects } = await make({ threshold: 0.7 });
    const out = await block.call(rowsABC());
    expect(out.map((r) => [r.id, r.is_valid])).toEqual([
      ["a", true],
      ["b", false],
      ["c", false],
    ]);
    expect(rejects).toEqual([]);
  });
  it("a call-time filter: false turns filtering off", async () => {
    const { block } = await make({ threshold: 0.7, filter: true });
    expect((await block.call(rowsABC(), { filter: false })).length).toBe(3);
  });
});

describe("rouge_scorer: context mode", () => {
  it("sorts by context score and records context failures as rejects", async () => {
    const { block, rejects } = await make({ threshold: 0.7, filter: true });
    const rows = [
      { id: "far", input: "completely unrelated words here", task_name: "t" },
      { id: "ctx", input: "I went to the store yesterday!", task_name: "t" },
      { id: "mid", input: "I went home", task_name: "t" },
    ];
    const out = await block.call(rows, { context: CTX });
    // "far" scores 0 against the context, "mid" 0.6: ascending context score.
    expect(out.map((r) => r.id)).toEqual(["far", "mid"]);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({
      id: "ctx",
      task_name: "t",
      block_name: "dedup",
      block_type: "rouge_scorer",
      is_valid: false,
    });
    expect(String(rejects[0]!.reason)).toMatch(
      /against the context \(1\) is equal or greater than threshold \(0\.7\)/,
    );
  });

  it("equals the plain algorithm with a context, filtering on and off", async () => {
    const texts = corpus(5, 120);
    const context = corpus(6, 25);
    for (const filtering of [true, false]) {
      const d = new RougeDeduplicator({ threshold: 0.6, workers: 0 });
      const fast = await d.run(
        texts.map((text) => ({ text })),
        { filtering, context },
      );
      const plain = plainDedup(texts, { threshold: 0.6, filtering, context });
      expect(fast.order).toEqual(plain.order);
      expect(fast.verdicts.map((v) => [v.valid, v.contextScore, v.score])).toEqual(
        plain.verdicts.map((v) => [v.valid, v.contextScore, v.score]),
      );
    }
  });
});

describe("rouge_scorer: reject store contents", () => {
  it("writes the caller's row with the reason, the score and the block name", async () => {
    const { block, rejects } = await make({
      threshold: 0.7,
      filter: true,
      input_map: { question: "input" },
    });
    const rows = [
      { id: "1", task_name: "geo", question: "What is the capital of France?", answer: "Paris" },
      { id: "2", task_name: "geo", question: "What is the capital of France", answer: "Paris." },
    ];
    const out = await block.call(rows);
    expect(out.map((r) => r.id)).toEqual(["1"]);
    expect(rejects).toEqual([
      {
        id: "2",
        task_name: "geo",
        question: "What is the capital of France",
        answer: "Paris.",
        input: "What is the capital of France",
        is_valid: false,
        metadata: {
          score: 1,
          duplicate_of: "1",
          reason: "Maximum rouge score (1) is equal or greater than threshold (0.7)",
        },
        block_name: "dedup",
        block_type: "rouge_scorer",
        reason: "Maximum rouge score (1) is equal or greater than threshold (0.7)",
      },
    ]);
  });
});

describe("rouge_scorer: incremental postprocessing", () => {
  it("equals a full plain pass at every epoch, reusing what was kept", async () => {
    const texts = corpus(21, 600);
    const d = new RougeDeduplicator({ threshold: 0.7, workers: 0 });
    const rng = new Random(3);
    let accepted: { id: string; text: string }[] = [];
    let next = 0;
    let reused = 0;
    for (let epoch = 0; epoch < 6; epoch++) {
      // New rows arrive; sometimes another postprocessor removed some kept rows.
      if (epoch % 2 === 1) accepted = accepted.filter(() => rng.next() > 0.1);
      const old = accepted.length;
      for (let k = 0; k < 100; k++, next++) accepted.push({ id: `r${next}`, text: texts[next]! });
      const fast = await d.run(accepted, { filtering: true, scope: "task" });
      const plain = plainDedup(
        accepted.map((r) => r.text),
        { threshold: 0.7, filtering: true },
      );
      expect(
        fast.verdicts.map((v) => v.valid),
        `epoch ${epoch}`,
      ).toEqual(plain.verdicts.map((v) => v.valid));
      reused += fast.stats.reused;
      // Every row kept before (and still present) passes without being compared again.
      expect(fast.stats.reused).toBe(old);
      accepted = accepted.filter((_, i) => fast.verdicts[i]!.valid);
    }
    expect(reused).toBeGreaterThan(500);
  });

  it("stays exact when old rows come after new ones or in another order", async () => {
    const texts = corpus(8, 300);
    const d = new RougeDeduplicator({ threshold: 0.5, scoreFunc: "precision", workers: 0 });
    const rng = new Random(4);
    let rows = texts.slice(0, 150).map((text, i) => ({ id: `r${i}`, text }));
    for (let round = 0; round < 4; round++) {
      const first = await d.run(rows, { filtering: true, scope: "s" });
      const kept = rows.filter((_, i) => first.verdicts[i]!.valid);
      const fresh = texts
        .slice(150 + round * 30, 180 + round * 30)
        .map((text, i) => ({ id: `n${round}-${i}`, text }));
      rows = shuffle(rng, [...kept, ...fresh]);
      const again = await d.run(rows, { filtering: true, scope: "s" });
      const plain = plainDedup(
        rows.map((r) => r.text),
        { threshold: 0.5, scoreFunc: "precision", filtering: true },
      );
      expect(again.verdicts.map((v) => v.valid)).toEqual(plain.verdicts.map((v) => v.valid));
    }
  });

  it("the block keeps one index per task and reuses it between calls", async () => {
    const { block } = await make({ threshold: 0.7, filter: true });
    const texts = corpus(30, 200);
    const first = texts.slice(0, 120).map((t, i) => ({ id: `x${i}`, task_name: "a", input: t }));
    const kept = await block.call(first);
    const more = [
      ...kept.map((r) => ({ ...r })),
      ...texts.slice(120).map((t, i) => ({ id: `y${i}`, task_name: "a", input: t })),
    ];
    const out = await block.call(more);
    const plain = plainDedup(
      more.map((r) => String(r.input)),
      { threshold: 0.7, filtering: true },
    );
    expect(out.map((r) => r.id)).toEqual(
      more.filter((_, i) => plain.verdicts[i]!.valid).map((r) => r.id),
    );
  });
});

describe("rouge_scorer: worker threads", () => {
  let d: RougeDeduplicator;
  afterAll(async () => d?.close());
  it("give the same decisions as one thread", async () => {
    const texts = corpus(99, 1500, 200);
    d = new RougeDeduplicator({ threshold: 0.7, workers: 2, parallelMinPairs: 0 });
    const threaded = await d.run(
      texts.map((text) => ({ text })),
      { filtering: true },
    );
    expect(threaded.stats.threads).toBe(2);
    const single = await new RougeDeduplicator({ threshold: 0.7, workers: 0 }).run(
      texts.map((text) => ({ text })),
      { filtering: true },
    );
    expect(single.stats.threads).toBe(0);
    expect(threaded.verdicts).toEqual(single.verdicts);
    expect(threaded.verdicts.filter((v) => !v.valid).length).toBeGreaterThan(100);
    expect(threaded.stats.scored).toBe(single.stats.scored);
  });
});

describe("rouge_scorer: other languages and rouge types", () => {
  it("deduplicates French and Chinese near-duplicates (DiGiT tokenised them to nothing)", async () => {
    const { block } = await make({ threshold: 0.7, filter: true });
    const out = await block.call([
      { input: "Quelle est la capitale de la Côte d'Ivoire ?" },
      { input: "Quelle est la capitale de la Côte d’Ivoire" },
      { input: "中国的首都是哪座城市？" },
      { input: "中国的首都是哪个城市" },
      { input: "日本の首都はどこですか" },
    ]);
    expect(out.map((r) => r.input)).toEqual([
      "Quelle est la capitale de la Côte d'Ivoire ?",
      "中国的首都是哪座城市？",
      "日本の首都はどこですか",
    ]);
  });

  it("n-gram rouge types equal the plain pass (last n-gram included)", async () => {
    const texts = corpus(12, 120, 15);
    const rougeTypes = ["lcs", "n_1", "n_2", "n_3"] as const;
    const d = new RougeDeduplicator({ threshold: 0.5, rougeTypes: [...rougeTypes], workers: 0 });
    const fast = await d.run(
      texts.map((text) => ({ text })),
      { filtering: true },
    );
    const plain = plainDedup(texts, {
      threshold: 0.5,
      rougeTypes: [...rougeTypes],
      filtering: true,
    });
    expect(fast.verdicts.map((v) => [v.valid, v.score])).toEqual(
      plain.verdicts.map((v) => [v.valid, v.score]),
    );
    // "a b c" vs "a b c": with the last 3-gram included, n_3 gives 1, not 0.
    const same = await new RougeDeduplicator({ threshold: 1, rougeTypes: ["n_3"], workers: 0 }).run(
      [{ text: "a b c" }, { text: "a b c" }],
      { filtering: true },
    );
    expect(same.verdicts[1]).toMatchObject({ valid: false, score: 1 });
  });
});

describe("rouge_scorer: configuration", () => {
  it("rejects unknown keys and values with a suggestion", async () => {
    await expect(make({ treshold: 0.7 })).rejects.toThrow(/unknown key 'treshold'/);
    await expect(make({ score_func: "f2" })).rejects.toThrow(/score_func/);
  });
  it("rejects unknown call options (DiGiT raised TypeError)", async () => {
    const { block } = await make({ threshold: 0.7 });
    await expect(block.call([{ input: "a" }], { contxt: ["x"] })).rejects.toMatchObject({
      code: "DIGIT_CONFIG_INVALID",
      message: expect.stringMatching(/unknown call option 'contxt'/),
      hint: expect.stringMatching(/did you mean 'context'/),
    });
  });
  it("honours a call-time score_func (DiGiT validated it and then ignored it)", async () => {
    const { block } = await make({ threshold: 0.9 });
    // recall of the later row = LCS / its own length = 2/2; f1 = 2·2/12.
    const rows = () => [{ input: "a b c d e f g h i j" }, { input: "a b" }];
    expect((await block.call(rows())).map((r) => r.is_valid)).toEqual([true, true]);
    expect((await block.call(rows(), { score_func: "recall" })).map((r) => r.is_valid)).toEqual([
      true,
      false,
    ]);
  });
});

describe("rouge_scorer: pair enumeration strategies", () => {
  it("ordered and symmetric joins find the same conflicts", async () => {
    const { findConflicts } = await import("./conflicts.js");
    const { packJob } = await import("./dedup.js");
    const { Vocabulary } = await import("./tokenize.js");
    const v = new Vocabulary();
    const texts = corpus(77, 700, 40);
    const rows = texts.map((t) => v.encode(t));
    for (const threshold of [0.3, 0.55, 0.7, 0.9, 1]) {
      for (const probeAll of [true, false]) {
        const probe = new Uint8Array(rows.length).fill(1);
        if (!probeAll) probe.fill(0, 0, 500);
        const base = packJob(rows, probe, v.size, threshold, "f1", ["lcs"]);
        const job = () => ({ ...base, counter: new Int32Array(1), chunkSize: 16 });
        const key = (r: { i: Int32Array; j: Int32Array; score: Float64Array }) =>
          [...r.i].map((i, k) => `${i}-${r.j[k]}-${r.score[k]}`).sort();
        const ordered = findConflicts({ ...job(), strategy: "ordered" });
        const symmetric = findConflicts({ ...job(), strategy: "symmetric" });
        expect(key(symmetric), `thr ${threshold}`).toEqual(key(ordered));
        // A split between threads: one thread takes chunks 0..k-1, another the rest.
        for (const strategy of ["ordered", "symmetric"] as const) {
          const shared = job();
          const whole = findConflicts({ ...job(), strategy, chunkSize: 16_000 }); // one chunk
          expect(key(whole)).toEqual(key(ordered));
          const head = findConflicts({ ...shared, strategy, chunkLimit: 3 }); // this thread claims chunks 0-2
          const rest = findConflicts({ ...shared, strategy }); // the other thread claims the rest
          expect(shared.counter[0]).toBeGreaterThan(4);
          expect([...key(head), ...key(rest)].sort()).toEqual(key(ordered));
          expect(head.i.length + rest.i.length).toBe(ordered.i.length); // each pair found by one thread only
        }
        expect(ordered.i.length).toBeGreaterThan(0);
      }
    }
  });
});
