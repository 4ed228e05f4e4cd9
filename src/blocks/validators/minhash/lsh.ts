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
 * plus missed ones above it, the latter weighted more (candidates are verified, misses are lost).
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
    const cost = 0.25 * fp + 0.75 * fn;
    if (cost < bestCost) {
      bestCost = cost;
      best = b;
    }
  }
  return best;
}

/**
 * A MinHash LSH index for greedy near-duplicate removal. Each added text keeps one byte per
 * permutation (the low 8 bits of its signature, enough to estimate similarity with a correction
 * for chance agreement) and one 4-byte link per band, plus its slot in each band's hash table:
 * about `numPerm + 20 × bands` bytes per indexed text, in typed arrays.
 *
 * @example
 * const lsh = new MinHashLsh({ numPerm: 128, bands: 16, threshold: 0.8, seed: 1 });
 * const sig = lsh.signature(shingleHashes("a b c d", "word", 2));
 * lsh.best(sig); // undefined: nothing indexed yet
 * lsh.add(sig);  // 0, the text's index
 */
export class MinHashLsh {
  readonly settings: LshSettings;
  private readonly rows: number;
  private readonly mulA: Uint32Array;
  private readonly addB: Uint32Array;
  /** Low bytes of every added signature, `numPerm` per text. */
  private bytes = new Uint8Array(0);
  /** Per text and band: the previous text in the same bucket + 1 (0: none). */
  private links = new Int32Array(0);
  private readonly tables: BandTable[];
  private count = 0;

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
   * The indexed text most similar to `sig` among those sharing a band with it, when its estimated
   * Jaccard similarity reaches the threshold (ties: the earliest added).
   */
  best(sig: Uint32Array): { index: number; similarity: number } | undefined {
    let found: { index: number; similarity: number } | undefined;
    const seen = new Set<number>();
    for (let b = 0; b < this.tables.length; b++) {
      let at = this.tables[b]!.get(this.bandKey(sig, b));
      while (at > 0) {
        const index = at - 1;
        if (!seen.has(index)) {
          seen.add(index);
          const similarity = this.similarity(sig, index);
          if (similarity >= this.settings.threshold && (!found || similarity > found.similarity || (similarity === found.similarity && index < found.index))) {
            found = { index, similarity };
          }
        }
        at = this.links[index * this.tables.length + b]!;
      }
    }
    return found;
  }

  /** Add a signature; returns its index. */
  add(sig: Uint32Array): number {
    const { numPerm } = this.settings;
    const bands = this.tables.length;
    const index = this.count++;
    if (this.count * numPerm > this.bytes.length) {
      const cap = Math.max(1024, this.count * 2);
      const bytes = new Uint8Array(cap * numPerm);
      bytes.set(this.bytes);
      this.bytes = bytes;
      const links = new Int32Array(cap * bands);
      links.set(this.links);
      this.links = links;
    }
    for (let i = 0; i < numPerm; i++) this.bytes[index * numPerm + i] = sig[i]! & 0xff;
    for (let b = 0; b < bands; b++) this.links[index * bands + b] = this.tables[b]!.put(this.bandKey(sig, b), index + 1);
    return index;
  }

  /** Estimated Jaccard similarity of `sig` with indexed text `index`. */
  private similarity(sig: Uint32Array, index: number): number {
    const { numPerm } = this.settings;
    let equal = 0;
    const base = index * numPerm;
    for (let i = 0; i < numPerm; i++) if ((sig[i]! & 0xff) === this.bytes[base + i]) equal++;
    // Unequal values agree in their low byte by chance 1 time in 256.
    return Math.max(0, (equal / numPerm - 1 / 256) / (1 - 1 / 256));
  }

  /** A 32-bit key for band `b` of a signature. */
  private bandKey(sig: Uint32Array, b: number): number {
    let h = 0x9747b28c ^ b;
    for (let i = b * this.rows; i < (b + 1) * this.rows; i++) h = mix32((h ^ sig[i]!) + 0x9e3779b9);
    return h >>> 0;
  }
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

/** Murmur3's 32-bit finaliser: every input bit affects every output bit. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
