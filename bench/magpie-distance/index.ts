/**
 * Magpie's nearest-neighbour distances at scale: 100,000 embeddings (clustered, with
 * near-duplicates, like real generated questions) searched with the HNSW index, against exact
 * search measured in the same run on a sample of query rows (recall, and the time exact search
 * would take for all rows, extrapolated from the sample).
 *
 * MAGPIE_BENCH_ROWS, MAGPIE_BENCH_DIMS and MAGPIE_BENCH_SAMPLE change the sizes.
 */
import { nearestNeighbours } from "../../builders/public/magpie/distance/nearest.js";
import { Random } from "../../src/util/random.js";

const ROWS = Number(process.env.MAGPIE_BENCH_ROWS ?? 100_000);
const DIMS = Number(process.env.MAGPIE_BENCH_DIMS ?? 128);
const SAMPLE = Number(process.env.MAGPIE_BENCH_SAMPLE ?? 5000);

function gaussian(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

function normalised(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  return v.map((x) => x / n);
}

/** Rows around ROWS/50 topics; one row in ten is a light rewording of an earlier row. */
function embeddings(rng: Random): Float32Array[] {
  const topics = Array.from({ length: Math.max(1, Math.floor(ROWS / 50)) }, () =>
    normalised(Float32Array.from({ length: DIMS }, () => gaussian(rng))),
  );
  const out: Float32Array[] = [];
  for (let i = 0; i < ROWS; i++) {
    if (i > 0 && rng.next() < 0.1) {
      const base = out[Math.floor(rng.next() * i)]!;
      out.push(normalised(base.map((x) => x + 0.01 * gaussian(rng))));
      continue;
    }
    const topic = topics[Math.floor(rng.next() * topics.length)]!;
    out.push(normalised(topic.map((x) => x + 0.08 * gaussian(rng))));
  }
  return out;
}

/**
 * Run the benchmark and print its figures.
 *
 * @example
 * await run();
 */
export async function run(): Promise<void> {
  const rng = new Random(7);
  const vectors = embeddings(rng);
  console.log(`${ROWS} rows of ${DIMS} dimensions; exact search checked on ${SAMPLE} sampled rows`);

  // CPU seconds as well as wall seconds: on a shared machine the wall clock mostly measures the
  // other processes; CPU time is what the search costs.
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const t0 = performance.now();
  const c0 = cpu();
  const approx = nearestNeighbours(vectors, { threshold: 0.975, method: "hnsw" });
  const hnswSeconds = (performance.now() - t0) / 1000;
  const hnswCpu = cpu() - c0;
  console.log(
    `hnsw, all ${ROWS} rows (build + search): ${hnswSeconds.toFixed(1)} s wall, ${hnswCpu.toFixed(1)} s CPU (target < 30 s)`,
  );

  const picks = new Set<number>();
  while (picks.size < Math.min(SAMPLE, ROWS)) picks.add(Math.floor(rng.next() * ROWS));
  const t1 = performance.now();
  const c1 = cpu();
  let found = 0;
  let distanceError = 0;
  const flat = new Float32Array(ROWS * DIMS);
  for (let r = 0; r < ROWS; r++) flat.set(vectors[r]!, r * DIMS);
  for (const i of picks) {
    let best = -1;
    let bestSim = -Infinity;
    const a = vectors[i]!;
    for (let j = 0, off = 0; j < ROWS; j++, off += DIMS) {
      if (j === i) continue;
      let s = 0;
      for (let d = 0; d < DIMS; d++) s += a[d]! * flat[off + d]!;
      if (s > bestSim) {
        bestSim = s;
        best = j;
      }
    }
    // A tie (two rows at the same distance) counts as found.
    if (approx.nearest[i] === best || Math.abs(approx.nearestSimilarity[i]! - bestSim) < 1e-6)
      found++;
    distanceError += Math.abs(approx.nearestSimilarity[i]! - bestSim);
  }
  const sampleSeconds = (performance.now() - t1) / 1000;
  const sampleCpu = cpu() - c1;
  const exactSeconds = (sampleSeconds * ROWS) / picks.size;
  const exactCpu = (sampleCpu * ROWS) / picks.size;
  const recall = found / picks.size;

  console.log(
    `exact, ${picks.size} sampled rows: ${sampleSeconds.toFixed(1)} s wall, ${sampleCpu.toFixed(1)} s CPU; all rows about ${exactCpu.toFixed(0)} s CPU`,
  );
  console.log(
    `speed-up of hnsw over exact search (CPU): ${(exactCpu / hnswCpu).toFixed(1)}x (wall: ${(exactSeconds / hnswSeconds).toFixed(1)}x)`,
  );
  console.log(
    `recall@1 against exact search: ${recall.toFixed(4)} (target >= 0.95); mean distance error ${(distanceError / picks.size).toExponential(2)}`,
  );
  if (hnswCpu >= 30 || recall < 0.95) process.exitCode = 1;
}
