import { createRequire } from "node:module";

/**
 * Each row's neighbours by cosine similarity: the single nearest other row, and every other row
 * whose similarity reaches a threshold (its near-duplicates). Vectors must be L2-normalised, so a
 * dot product is the cosine.
 *
 * @example
 * const n = nearestNeighbours(vectors, { threshold: 0.975 });
 * n.nearest[0]; n.nearestSimilarity[0]; n.duplicates[0];
 */
export interface Neighbours {
  /** Index of each row's nearest other row (-1 when there is none). */
  readonly nearest: Int32Array;
  /** Cosine similarity to that row. */
  readonly nearestSimilarity: Float32Array;
  /** Per row: the other rows whose similarity reaches the threshold, with their similarities. */
  readonly duplicates: readonly (readonly { index: number; similarity: number }[])[];
  /** Which search ran. */
  readonly method: "exact" | "hnsw";
}

/**
 * How to search: `exact` compares every pair; `hnsw` builds an approximate HNSW graph index
 * (hnswlib) and looks at each row's `max_neighbors` nearest; `auto` is exact up to `exactLimit`
 * rows.
 *
 * @example
 * const options: NeighbourOptions = { threshold: 0.975, method: "auto", exactLimit: 5000 };
 */
export interface NeighbourOptions {
  threshold: number;
  method?: "auto" | "exact" | "hnsw";
  /** Largest row count `auto` searches exactly. */
  exactLimit?: number;
  /** Neighbours looked at per row by the index (near-duplicates beyond them are not seen). */
  maxNeighbors?: number;
  /** HNSW graph degree and search breadth. */
  m?: number;
  efConstruction?: number;
  efSearch?: number;
}

/** Rows up to which `auto` compares every pair. */
export const DEFAULT_EXACT_LIMIT = 5000;

/**
 * Find each row's nearest neighbour and near-duplicates.
 *
 * @example
 * const { nearest } = nearestNeighbours([a, b, c], { threshold: 0.9 });
 */
export function nearestNeighbours(
  vectors: readonly Float32Array[],
  options: NeighbourOptions,
): Neighbours {
  const limit = options.exactLimit ?? DEFAULT_EXACT_LIMIT;
  const method =
    options.method === "exact" || options.method === "hnsw"
      ? options.method
      : vectors.length <= limit
        ? "exact"
        : "hnsw";
  return method === "exact" ? exact(vectors, options.threshold) : hnsw(vectors, options);
}

/**
 * Cosine similarity of two normalised vectors.
 *
 * @example
 * cosine(Float32Array.of(1, 0), Float32Array.of(0, 1)) // 0
 */
export function cosine(a: Float32Array, b: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i]! * b[i]!;
    s1 += a[i + 1]! * b[i + 1]!;
    s2 += a[i + 2]! * b[i + 2]!;
    s3 += a[i + 3]! * b[i + 3]!;
  }
  for (; i < n; i++) s0 += a[i]! * b[i]!;
  return s0 + s1 + s2 + s3;
}

function exact(vectors: readonly Float32Array[], threshold: number): Neighbours {
  const n = vectors.length;
  const nearest = new Int32Array(n).fill(-1);
  const nearestSimilarity = new Float32Array(n).fill(-Infinity);
  const duplicates: { index: number; similarity: number }[][] = Array.from({ length: n }, () => []);
  // Each pair once: the similarity is symmetric.
  for (let i = 0; i < n; i++) {
    const a = vectors[i]!;
    for (let j = i + 1; j < n; j++) {
      const s = cosine(a, vectors[j]!);
      if (s > nearestSimilarity[i]!) {
        nearestSimilarity[i] = s;
        nearest[i] = j;
      }
      if (s > nearestSimilarity[j]!) {
        nearestSimilarity[j] = s;
        nearest[j] = i;
      }
      if (s >= threshold) {
        duplicates[i]!.push({ index: j, similarity: s });
        duplicates[j]!.push({ index: i, similarity: s });
      }
    }
  }
  return { nearest, nearestSimilarity, duplicates, method: "exact" };
}

interface HnswIndex {
  initIndex(opts: {
    maxElements: number;
    m?: number;
    efConstruction?: number;
    randomSeed?: number;
  }): void;
  setEf(ef: number): void;
  addPoint(point: number[] | Float32Array, label: number): void;
  searchKnn(
    query: number[] | Float32Array,
    k: number,
  ): { distances: number[]; neighbors: number[] };
}

type HnswModule = { HierarchicalNSW: new (space: "cosine", dims: number) => HnswIndex };

function hnsw(vectors: readonly Float32Array[], o: NeighbourOptions): Neighbours {
  const n = vectors.length;
  const nearest = new Int32Array(n).fill(-1);
  const nearestSimilarity = new Float32Array(n).fill(-Infinity);
  const duplicates: { index: number; similarity: number }[][] = Array.from({ length: n }, () => []);
  if (n < 2) return { nearest, nearestSimilarity, duplicates, method: "hnsw" };
  // A native addon, loaded only when an index is needed.
  const { HierarchicalNSW } = createRequire(import.meta.url)("hnswlib-node") as HnswModule;
  const index = new HierarchicalNSW("cosine", vectors[0]!.length);
  // A fixed seed: the same vectors give the same graph, so runs are reproducible.
  index.initIndex({
    maxElements: n,
    m: o.m ?? 10,
    efConstruction: o.efConstruction ?? 40,
    randomSeed: 100,
  });
  for (let i = 0; i < n; i++) index.addPoint(Array.from(vectors[i]!), i);
  const k = Math.min(n, (o.maxNeighbors ?? 16) + 1);
  index.setEf(Math.max(o.efSearch ?? 48, k));
  for (let i = 0; i < n; i++) {
    const { distances, neighbors } = index.searchKnn(Array.from(vectors[i]!), k);
    for (let r = 0; r < neighbors.length; r++) {
      const j = neighbors[r]!;
      if (j === i) continue;
      const s = 1 - distances[r]!;
      if (s > nearestSimilarity[i]!) {
        nearestSimilarity[i] = s;
        nearest[i] = j;
      }
      if (s >= o.threshold) duplicates[i]!.push({ index: j, similarity: s });
    }
  }
  return { nearest, nearestSimilarity, duplicates, method: "hnsw" };
}
