import { describe, expect, it } from "vitest";
import { lcsPlain } from "../../../../test/support/rouge-oracle.js";
import { Random } from "../../../util/random.js";
import { LcsPattern, lcsBitParallel } from "./lcs.js";

const seq = (rng: Random, len: number, alphabet: number) =>
  Int32Array.from({ length: len }, () => rng.int(alphabet));

describe("LCS", () => {
  it("plain DP on small known cases", () => {
    expect(lcsPlain([1, 2, 3, 4], [1, 3, 4])).toBe(3);
    expect(lcsPlain([1, 2, 3], [3, 2, 1])).toBe(1);
    expect(lcsPlain([], [1])).toBe(0);
    expect(lcsPlain([5, 5, 5], [5, 5])).toBe(2);
  });

  it("bit-parallel equals plain DP on thousands of random pairs, including > 64 tokens", () => {
    const rng = new Random(1);
    let long = 0;
    for (let k = 0; k < 4000; k++) {
      const alphabet = 2 + rng.int(40);
      const maxLen = k % 4 === 0 ? 200 : 40;
      const a = seq(rng, rng.int(maxLen + 1), alphabet);
      const b = seq(rng, rng.int(maxLen + 1), alphabet);
      if (a.length > 64 || b.length > 64) long++;
      const expected = lcsPlain(a, b);
      expect(lcsBitParallel(a, b), `pair ${k}`).toBe(expected);
      expect(lcsBitParallel(b, a), `pair ${k} swapped`).toBe(expected);
    }
    expect(long).toBeGreaterThan(500);
  });

  it("is exact at word boundaries (31, 32, 33, 63, 64, 65, 96 tokens)", () => {
    const rng = new Random(2);
    for (const m of [31, 32, 33, 63, 64, 65, 96]) {
      for (let k = 0; k < 50; k++) {
        const a = seq(rng, m, 3 + (k % 5));
        const b = seq(rng, 1 + rng.int(120), 3 + (k % 5));
        expect(lcsBitParallel(a, b)).toBe(lcsPlain(a, b));
      }
      const same = seq(rng, m, 1000);
      expect(lcsBitParallel(same, same)).toBe(m);
    }
  });

  it("a pattern can be reused and replaced", () => {
    const rng = new Random(3);
    const p = new LcsPattern(4);
    for (let k = 0; k < 300; k++) {
      const a = seq(rng, rng.int(100), 20);
      p.set(a);
      for (let r = 0; r < 3; r++) {
        const b = seq(rng, rng.int(100), 25); // ids beyond the pattern's vocabulary are fine
        expect(p.lcs(b)).toBe(lcsPlain(a, b));
      }
    }
  });
});
