/**
 * ROUGE-L dedup of 20,000 synthetic questions (10–30 words, ~10% near-duplicates) at threshold
 * 0.7: the fast exact dedup (bounds + bit-parallel LCS + worker threads) against the plain
 * dynamic-programming algorithm, which is run on a sample in the same process and extrapolated
 * by pair count. Decisions on the sample must be identical.
 */
import { availableParallelism, loadavg } from "node:os";
import { RougeDeduplicator } from "../../src/blocks/validators/rouge/dedup.js";
import { Random } from "../../src/util/random.js";
import { plainDedup } from "../../test/support/rouge-oracle.js";

const N = 20_000;
const SAMPLE = 1_000;
const THRESHOLD = 0.7;

/** Questions from templates over a Zipf-distributed vocabulary; ~10% are light edits of an earlier one. */
export function questions(n: number, seed = 42): { texts: string[]; nearDuplicates: number } {
  const rng = new Random(seed);
  const vocab = Array.from(
    { length: 5000 },
    (_, i) => `${["ka", "lo", "mi", "su", "te", "ra", "no", "vi"][i % 8]}${i.toString(36)}`,
  );
  const zipf = vocab.map((_, i) => 1 / (i + 1));
  const total = zipf.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  zipf.reduce((acc, w, i) => (cumulative[i] = acc + w / total), 0);
  const word = () => {
    const x = rng.next();
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo]!;
  };
  const starts = [
    "what is the",
    "how does the",
    "why do",
    "which of the",
    "when did the",
    "where can i find the",
    "explain how",
    "describe the",
  ];
  const texts: string[] = [];
  let nearDuplicates = 0;
  for (let k = 0; k < n; k++) {
    if (texts.length > 0 && rng.next() < 0.1) {
      const words = texts[rng.int(texts.length)]!.split(" ");
      const edits = 1 + rng.int(2);
      for (let e = 0; e < edits; e++) {
        const at = rng.int(words.length);
        const op = rng.int(3);
        if (op === 0) words[at] = word();
        else if (op === 1 && words.length > 10) words.splice(at, 1);
        else words.splice(at, 0, word());
      }
      texts.push(`${words.join(" ")}`);
      nearDuplicates++;
    } else {
      const start = starts[rng.int(starts.length)]!.split(" ");
      const len = 10 + rng.int(21);
      const words = [...start];
      while (words.length < len) words.push(word());
      texts.push(words.join(" "));
    }
  }
  // Capitalise and punctuate like real questions: the tokeniser must see through it.
  return { texts: texts.map((t) => `${t[0]!.toUpperCase()}${t.slice(1)}?`), nearDuplicates };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

export async function run(): Promise<void> {
  const { texts, nearDuplicates } = questions(N);
  const inputs = texts.map((text, i) => ({ text, id: `q${i}` }));
  const cores = availableParallelism();
  console.log(
    `${N} questions, ${nearDuplicates} drawn as near-duplicates, threshold ${THRESHOLD}, ${cores} cores`,
  );

  // Fast, all cores (the first call also starts the worker threads).
  const fast = new RougeDeduplicator({ threshold: THRESHOLD, workers: cores, parallelMinPairs: 0 });
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  const out = await fast.run(inputs, { filtering: true, scope: "bench" });
  const fastMs = performance.now() - t0;
  const fastCpu = cpuMs(c0);
  const removed = out.verdicts.filter((v) => !v.valid).length;
  const s = out.stats;
  console.log(
    `fast (${s.threads} threads, incl. thread start-up): ${seconds(fastMs)} wall, ${seconds(fastCpu)} CPU; removed ${removed}, kept ${N - removed}`,
  );
  t0 = performance.now();
  await fast.run(inputs, { filtering: true, scope: "bench-warm" });
  const warmMs = performance.now() - t0;
  console.log(`fast (${s.threads} threads, started): ${seconds(warmMs)} wall`);
  console.log(
    `  pairs ${s.pairs.toLocaleString()}: scored ${s.scored.toLocaleString()} (${((100 * s.scored) / s.pairs).toFixed(3)}%), skipped by bounds ${(s.pairs - s.scored).toLocaleString()}`,
  );
  console.log(
    `    prefix + length filters ${(s.pairs - s.candidates + s.lengthSkipped).toLocaleString()}, positional bound ${s.positionSkipped.toLocaleString()}, overlap bound ${s.overlapSkipped.toLocaleString()}`,
  );

  // Same, one thread: the worker speed-up.
  const single = new RougeDeduplicator({ threshold: THRESHOLD, workers: 0 });
  t0 = performance.now();
  c0 = process.cpuUsage();
  const one = await single.run(inputs, { filtering: true });
  const singleMs = performance.now() - t0;
  const singleCpu = cpuMs(c0);
  const same = one.verdicts.every((v, i) => v.valid === out.verdicts[i]!.valid);
  console.log(
    `fast (1 thread): ${seconds(singleMs)} wall, ${seconds(singleCpu)} CPU; threads speed-up ${(singleMs / warmMs).toFixed(2)}x (started threads); identical decisions: ${same}`,
  );
  if (loadavg()[0]! > cores)
    console.log(
      `  note: load average ${loadavg()[0]!.toFixed(1)} on ${cores} cores — other processes share the CPUs, wall times are inflated`,
    );

  // Incremental epoch: 1,000 new questions on top of the kept ones.
  const extra = questions(N + 1000, 43)
    .texts.slice(N)
    .map((text, i) => ({ text, id: `n${i}` }));
  const next = [...inputs.filter((_, i) => out.verdicts[i]!.valid), ...extra];
  t0 = performance.now();
  const inc = await fast.run(next, { filtering: true, scope: "bench" });
  const incMs = performance.now() - t0;
  const scratch = new RougeDeduplicator({
    threshold: THRESHOLD,
    workers: cores,
    parallelMinPairs: 0,
  });
  t0 = performance.now();
  const full = await scratch.run(next, { filtering: true, scope: "bench" });
  const fullMs = performance.now() - t0;
  const incSame = inc.verdicts.every((v, i) => v.valid === full.verdicts[i]!.valid);
  console.log(
    `next epoch (+1,000 rows on ${next.length - 1000} kept): incremental ${seconds(incMs)} vs from scratch ${seconds(fullMs)} (${(fullMs / incMs).toFixed(1)}x), reused ${inc.stats.reused}, identical decisions: ${incSame}`,
  );

  // Plain DP on a sample, extrapolated by the number of pairs it compares.
  const sample = texts.slice(0, SAMPLE);
  c0 = process.cpuUsage();
  const plain = plainDedup(sample, { threshold: THRESHOLD, filtering: true });
  const plainMs = cpuMs(c0);
  const fastSample = await new RougeDeduplicator({ threshold: THRESHOLD, workers: 0 }).run(
    sample.map((text) => ({ text })),
    { filtering: true },
  );
  const sampleSame = plain.verdicts.every(
    (v, i) =>
      v.valid === fastSample.verdicts[i]!.valid && v.score === fastSample.verdicts[i]!.score,
  );
  const pairsSample = comparedPairs(plain.verdicts.map((v) => v.valid));
  const pairsFull = comparedPairs(out.verdicts.map((v) => v.valid));
  const plainFullMs = (plainMs * pairsFull) / pairsSample;
  console.log(
    `plain DP on ${SAMPLE} rows: ${seconds(plainMs)} CPU (${pairsSample.toLocaleString()} pairs); identical decisions and scores: ${sampleSame}`,
  );
  console.log(
    `plain DP extrapolated to ${N} rows (${pairsFull.toLocaleString()} pairs): ${seconds(plainFullMs)} CPU`,
  );
  console.log(
    `speed-up over plain DP, CPU time against CPU time (1 thread): ${(plainFullMs / singleCpu).toFixed(0)}x`,
  );
  console.log(`target < 5 s on 2 cores: ${fastMs < 5000 ? "met" : "MISSED"}`);
  await fast.close();
  await scratch.close();
  if (!same || !incSame || !sampleSame)
    throw new Error("rouge-dedup: decisions differ from the reference");
}

/** Pairs the plain greedy pass scores: each row against every row kept before it. */
function comparedPairs(valid: boolean[]): number {
  let kept = 0;
  let pairs = 0;
  for (const v of valid) {
    pairs += kept;
    if (v) kept++;
  }
  return pairs;
}
