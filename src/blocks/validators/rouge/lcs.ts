/**
 * Longest common subsequence of two token-id sequences.
 *
 * `LcsPattern` is the bit-parallel algorithm of Allison & Dix / Hyyrö: one
 * machine word holds 32 cells of a DP column, so a comparison costs O(⌈m/32⌉·n) word operations.
 * A pattern is built once per text and then compared with many others, which is how dedup uses it.
 */

/**
 * The bit masks of one text (the "pattern"): for each distinct token, the positions where it
 * occurs. Uses a slot table indexed by token id, so `vocabSize` must exceed every id.
 *
 * @example
 * const p = new LcsPattern(1000);
 * p.set(Int32Array.of(5, 7, 5));
 * p.lcs(Int32Array.of(7, 5)) // 2
 */
export class LcsPattern {
  private slot: Int32Array;
  private masks = new Uint32Array(0);
  private v = new Uint32Array(0);
  private tokens: Int32Array = new Int32Array(0);
  private words = 0;
  private length = 0;

  constructor(vocabSize: number) {
    this.slot = new Int32Array(Math.max(1, vocabSize)).fill(-1);
  }

  /** Make `tokens` the pattern (replacing the previous one). */
  set(tokens: Int32Array): void {
    for (let i = 0; i < this.tokens.length; i++) this.slot[this.tokens[i]!] = -1;
    this.tokens = tokens;
    this.length = tokens.length;
    const words = (this.words = Math.max(1, Math.ceil(tokens.length / 32)));
    let distinct = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t >= this.slot.length) this.grow(t + 1);
      if (this.slot[t] === -1) this.slot[t] = distinct++;
    }
    if (this.masks.length < distinct * words) this.masks = new Uint32Array(distinct * words * 2);
    else this.masks.fill(0, 0, distinct * words);
    if (this.v.length < words) this.v = new Uint32Array(words * 2);
    for (let i = 0; i < tokens.length; i++) {
      const base = this.slot[tokens[i]!]! * words;
      this.masks[base + (i >>> 5)]! |= 1 << (i & 31);
    }
  }

  private grow(size: number): void {
    const next = new Int32Array(Math.max(size, this.slot.length * 2)).fill(-1);
    next.set(this.slot);
    this.slot = next;
  }

  /** LCS length between the pattern and `text`. */
  lcs(text: Int32Array, from = 0, to = text.length): number {
    const m = this.length;
    if (m === 0 || to <= from) return 0;
    const slot = this.slot;
    const masks = this.masks;
    if (this.words === 1) {
      // V has a 0 bit for every pattern position that ends a match in the LCS so far.
      let v = 0xffffffff;
      for (let k = from; k < to; k++) {
        const t = text[k]!;
        const s = t < slot.length ? slot[t]! : -1;
        if (s < 0) continue;
        const mask = masks[s]!;
        const u = v & mask;
        v = ((v + (u >>> 0)) | (v & ~mask)) >>> 0;
      }
      const live = m === 32 ? v : v & ((1 << m) - 1);
      return m - popcount(live >>> 0);
    }
    const words = this.words;
    const v = this.v;
    v.fill(0xffffffff, 0, words);
    for (let k = from; k < to; k++) {
      const t = text[k]!;
      const s = t < slot.length ? slot[t]! : -1;
      if (s < 0) continue;
      const base = s * words;
      let carry = 0;
      for (let w = 0; w < words; w++) {
        const vw = v[w]!;
        const mw = masks[base + w]!;
        const u = (vw & mw) >>> 0;
        const sum = vw + u + carry;
        carry = sum > 0xffffffff ? 1 : 0;
        v[w] = (sum | (vw & ~mw)) >>> 0;
      }
    }
    let zeros = 0;
    const full = m >>> 5;
    for (let w = 0; w < full; w++) zeros += 32 - popcount(v[w]!);
    const rest = m & 31;
    if (rest) zeros += rest - popcount(v[full]! & ((1 << rest) - 1));
    return zeros;
  }
}

/**
 * LCS length with the bit-parallel algorithm (convenience for one-off pairs).
 *
 * @example
 * lcsBitParallel(Int32Array.of(1, 2, 3), Int32Array.of(3, 2, 1)) // 1
 */
export function lcsBitParallel(a: Int32Array, b: Int32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! > max) max = a[i]!;
  const p = new LcsPattern(max + 1);
  p.set(a);
  return p.lcs(b);
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}
