import { Random } from "../../../util/random.js";

/**
 * How signatures are made and compared.
 *
 * @example
 * const settings: LshSettings = { numPerm: 128, bands: 16, threshold: 0.8, seed: 1 };
 */
export interface LshSettings {
  /** Hash functions (permutations) per signature. */
  numPerm: number;
  /** LSH bands; each holds `floor(numPerm / bands)` signature values. */
  bands: number;
  /** Estimated Jaccard similarity at or above which a text duplicates an indexed one. */
  threshold: number;
  /** Seeds the permutations: the same seed gives the same decisions. */
  seed: number | string;
}

/**
 * The bands for `numPerm` permutations that best separate similarities below and above
 * `threshold`: the (bands, rows) pair minimising the area of false candidates below the threshold
 * plus missed ones above it, the latter weighted 9 times more (candidates are verified, so a false
 * one costs a comparison; a missed one is a duplicate kept).
 *
 * @example
 * optimalBands(0.8, 128) // 11 (11 bands of 11 rows)
 */
export function optimalBands(threshold: number, numPerm: number): number {
  const candidate = (s: number, b: number, r: number) => 1 - (1 - s ** r) ** b;
  const integrate = (f: (s: number) => number, a: number, z: number) => {
    const steps = 200;
    const h = (z - a) / steps;
    let sum = 0;
    for (let i = 0; i < steps; i++) sum += f(a + (i + 0.5) * h) * h;
    return sum;
  };
  let best = 1;
  let bestCost = Number.POSITIVE_INFINITY;
  for (let b = 1; b <= numPerm; b++) {
    const r = Math.floor(numPerm / b);
    const fp = integrate((s) => candidate(s, b, r), 0, threshold);
    const fn = integrate((s) => 1 - candidate(s, b, r), threshold, 1);
    const cost = 0.1 * fp + 0.9 * fn;
    if (cost < bestCost) {
      bestCost = cost;
      best = b;
    }
  }
  return best;
}

/**
 * A MinHash LSH index for greedy near-duplicate removal. Candidates (texts sharing a band) are
 * verified against the threshold: exactly, from the text's shingle set, when the text has at most
 * `numPerm / 2` distinct shingles (4 bytes each, no more than a signature would take), else by the
 * similarity estimated from its signature (the low 16 bits of each value, 2 bytes each, corrected
 * for chance agreement). Per indexed text: at most `2 × numPerm` bytes for that, plus a 4-byte
 * link and a hash-table slot per band and a 4-byte visit mark: about `2 × numPerm + 20 × bands + 4`
 * bytes, in typed arrays.
 *
 * @example
 * const lsh = new MinHashLsh({ numPerm: 128, bands: 16, threshold: 0.8, seed: 1 });
 * const set = distinctSorted(shingleHashes("a b c d", "word", 2));
 * const sig = lsh.signature(set);
 * lsh.best(sig, set); // undefined: nothing indexed yet
 * lsh.add(sig, set);  // 0, the text's index
 */
export class MinHashLsh {
  readonly settings: LshSettings;
  private readonly rows: number;
  private readonly mulA: Uint32Array;
  private readonly addB: Uint32Array;
  /** Per text: where its shingle set (in `sets`) or its signature (in `sigs`) starts. */
  private start = new Float64Array(0);
  /** Per text: its number of distinct shingles, or -1 when its signature is kept instead. */
  private length = new Int32Array(0);
  private sets = new Uint32Array(0);
  private setsUsed = 0;
  private sigs = new Uint16Array(0);
  private sigsUsed = 0;
  /** Per text and band: the previous text in the same bucket + 1 (0: none). */
  private links = new Int32Array(0);
  private readonly tables: BandTable[];
  private count = 0;
  /** Per text: the number of the last `best` query that compared it (see `nextQuery`). */
  private visited = new Uint32Array(0);
  private queries = 0;

  constructor(settings: LshSettings) {
    this.settings = settings;
    this.rows = Math.floor(settings.numPerm / settings.bands);
    const rng = new Random(`minhash:${settings.seed}`);
    this.mulA = new Uint32Array(settings.numPerm);
    this.addB = new Uint32Array(settings.numPerm);
    for (let i = 0; i < settings.numPerm; i++) {
      this.mulA[i] = (Math.floor(rng.next() * 2 ** 32) | 1) >>> 0;
      this.addB[i] = Math.floor(rng.next() * 2 ** 32) >>> 0;
    }
    this.tables = Array.from({ length: settings.bands }, () => new BandTable());
  }

  /** Texts in the index. */
  get size(): number {
    return this.count;
  }

  /** The MinHash signature of a set of shingle hashes (all 0xffffffff for an empty set). */
  signature(shingles: Uint32Array): Uint32Array {
    const { numPerm } = this.settings;
    const sig = new Uint32Array(numPerm).fill(0xffffffff);
    for (let s = 0; s < shingles.length; s++) {
      const x = shingles[s]!;
      for (let i = 0; i < numPerm; i++) {
        const h = mix32((Math.imul(x, this.mulA[i]!) + this.addB[i]!) | 0);
        if (h < sig[i]!) sig[i] = h;
      }
    }
    return sig;
  }

  /**
   * The indexed text most similar to a text (its signature and its distinct sorted shingles)
   * among those sharing a band with it, when the similarity reaches the threshold (ties: the
   * earliest added).
   */
  best(sig: Uint32Array, set: Uint32Array): { index: number; similarity: number } | undefined {
    let found: { index: number; similarity: number } | undefined;
    // A text met in several bands is compared once: `visited` holds the query that last met it.
    const query = this.nextQuery();
    for (let b = 0; b < this.tables.length; b++) {
      let at = this.tables[b]!.get(this.bandKey(sig, b));
      while (at > 0) {
        const index = at - 1;
        if (this.visited[index] !== query) {
          this.visited[index] = query;
          const similarity = this.similarity(sig, set, index);
          if (
            similarity >= this.settings.threshold &&
            (!found ||
              similarity > found.similarity ||
              (similarity === found.similarity && index < found.index))
          ) {
            found = { index, similarity };
          }
        }
        at = this.links[index * this.tables.length + b]!;
      }
    }
    return found;
  }

  /** Add a text (its signature and distinct sorted shingles); returns its index. */
  add(sig: Uint32Array, set: Uint32Array): number {
    const { numPerm } = this.settings;
    const bands = this.tables.length;
    const index = this.count++;
    if (this.count > this.length.length) {
      const cap = Math.max(1024, this.count * 2);
      this.start = copyInto(new Float64Array(cap), this.start);
      this.length = copyInto(new Int32Array(cap), this.length);
      this.links = copyInto(new Int32Array(cap * bands), this.links);
      this.visited = copyInto(new Uint32Array(cap), this.visited);
    }
    if (set.length * 2 <= numPerm) {
      if (this.setsUsed + set.length > this.sets.length)
        this.sets = copyInto(
          new Uint32Array(Math.max(4096, (this.setsUsed + set.length) * 2)),
          this.sets,
        );
      this.sets.set(set, this.setsUsed);
      this.start[index] = this.setsUsed;
      this.length[index] = set.length;
      this.setsUsed += set.length;
    } else {
      if (this.sigsUsed + numPerm > this.sigs.length)
        this.sigs = copyInto(
          new Uint16Array(Math.max(4096, (this.sigsUsed + numPerm) * 2)),
          this.sigs,
        );
      for (let i = 0; i < numPerm; i++) this.sigs[this.sigsUsed + i] = sig[i]! & 0xffff;
      this.start[index] = this.sigsUsed;
      this.length[index] = -1;
      this.sigsUsed += numPerm;
    }
    for (let b = 0; b < bands; b++)
      this.links[index * bands + b] = this.tables[b]!.put(this.bandKey(sig, b), index + 1);
    return index;
  }

  /** A number no entry of `visited` holds yet. */
  private nextQuery(): number {
    if (++this.queries > 0xfffffffe) {
      this.visited.fill(0);
      this.queries = 1;
    }
    return this.queries;
  }

  /** Similarity of a text with indexed text `index`: exact Jaccard, or estimated from signatures. */
  private similarity(sig: Uint32Array, set: Uint32Array, index: number): number {
    const start = this.start[index]!;
    const len = this.length[index]!;
    if (len >= 0) return jaccardSorted(set, this.sets, start, len);
    const { numPerm } = this.settings;
    let equal = 0;
    for (let i = 0; i < numPerm; i++) if ((sig[i]! & 0xffff) === this.sigs[start + i]) equal++;
    // Unequal values agree in their low 16 bits by chance 1 time in 65,536.
    return Math.max(0, (equal / numPerm - CHANCE) / (1 - CHANCE));
  }

  /** A 32-bit key for band `b` of a signature. */
  private bandKey(sig: Uint32Array, b: number): number {
    let h = 0x9747b28c ^ b;
    for (let i = b * this.rows; i < (b + 1) * this.rows; i++) h = mix32((h ^ sig[i]!) + 0x9e3779b9);
    return h >>> 0;
  }
}

/**
 * The distinct values of `hashes`, sorted (a shingle set as `MinHashLsh` takes it).
 *
 * @example
 * distinctSorted(Uint32Array.of(3, 1, 3)) // Uint32Array [1, 3]
 */
export function distinctSorted(hashes: Uint32Array): Uint32Array {
  const sorted = Uint32Array.from(hashes).sort();
  let n = 0;
  for (let i = 0; i < sorted.length; i++)
    if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[n++] = sorted[i]!;
  return sorted.subarray(0, n);
}

/** Jaccard similarity of sorted distinct `a` and `pool[start, start + len)`. */
function jaccardSorted(a: Uint32Array, pool: Uint32Array, start: number, len: number): number {
  let i = 0;
  let j = start;
  const end = start + len;
  let both = 0;
  while (i < a.length && j < end) {
    const x = a[i]!;
    const y = pool[j]!;
    if (x === y) {
      both++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return both / (a.length + len - both);
}

function copyInto<T extends Float64Array | Int32Array | Uint32Array | Uint16Array>(
  to: T,
  from: T,
): T {
  to.set(from as never);
  return to;
}

/**
 * An open-addressing map from 32-bit band keys to the latest text index + 1 in that bucket,
 * in typed arrays (at most half full).
 */
class BandTable {
  private keys = new Uint32Array(1024);
  private heads = new Int32Array(1024);
  private used = 0;

  /** The latest entry of bucket `key` (0: empty). */
  get(key: number): number {
    const at = this.slot(this.keys, this.heads, key);
    return this.heads[at]!;
  }

  /** Make `value` the latest entry of bucket `key`; returns the previous one (0: none). */
  put(key: number, value: number): number {
    if ((this.used + 1) * 2 > this.keys.length) this.rehash();
    const at = this.slot(this.keys, this.heads, key);
    const previous = this.heads[at]!;
    if (previous === 0) {
      this.keys[at] = key;
      this.used++;
    }
    this.heads[at] = value;
    return previous;
  }

  private slot(keys: Uint32Array, heads: Int32Array, key: number): number {
    const mask = keys.length - 1;
    let at = mix32(key) & mask;
    while (heads[at] !== 0 && keys[at] !== key) at = (at + 1) & mask;
    return at;
  }

  private rehash(): void {
    const keys = new Uint32Array(this.keys.length * 2);
    const heads = new Int32Array(this.keys.length * 2);
    for (let i = 0; i < this.keys.length; i++) {
      if (this.heads[i] === 0) continue;
      const at = this.slot(keys, heads, this.keys[i]!);
      keys[at] = this.keys[i]!;
      heads[at] = this.heads[i]!;
    }
    this.keys = keys;
    this.heads = heads;
  }
}

/** How often two unequal signature values agree in the 16 bits kept. */
const CHANCE = 1 / 65536;

/** Murmur3's 32-bit finaliser: every input bit affects every output bit. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
