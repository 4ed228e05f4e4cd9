/**
 * The minhash case of the scale benchmark: `minhash_dedup` over short texts, and its decisions
 * compared with an exact greedy Jaccard dedup at the same threshold on a sample.
 */
import type { Block } from "../../src/blocks/block.js";
import { createBlock } from "../../src/blocks/create.js";
import { type ShingleKind, shingleHashes } from "../../src/blocks/validators/minhash/shingles.js";
import { Registry } from "../../src/registry/registry.js";
import type { Row } from "../../src/util/mapping.js";
import { Random } from "../../src/util/random.js";

export const SETTINGS = { threshold: 0.7, shingle: "word" as ShingleKind, ngram: 1 };
const CHUNK = 10_000;

/**
 * `n` short texts (8 to 16 words from a 5,000-word vocabulary); about one in five is an edited
 * copy of an earlier one (1 to 4 words replaced, dropped or added), so similarities spread over
 * the whole range around the threshold.
 */
export function shortTexts(n: number, seed = "minhash-bench"): string[] {
  const rng = new Random(seed);
  const word = () => `w${rng.int(5000)}`;
  const texts: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 10 && rng.next() < 0.2) {
      const words = texts[rng.int(i)]!.split(" ");
      const edits = 1 + rng.int(4);
      for (let e = 0; e < edits; e++) {
        const at = rng.int(words.length);
        const op = rng.int(3);
        if (op === 0) words[at] = word();
        else if (op === 1 && words.length > 4) words.splice(at, 1);
        else words.splice(at, 0, word());
      }
      texts.push(words.join(" "));
    } else {
      texts.push(Array.from({ length: 8 + rng.int(9) }, word).join(" "));
    }
  }
  return texts;
}

async function makeBlock(): Promise<Block> {
  const registry = await Registry.open();
  return createBlock(
    registry,
    {
      name: "near",
      type: "minhash_dedup",
      filter: true,
      input_map: { text: "input" },
      ...SETTINGS,
    },
    { rejects: async () => {} },
  );
}

/** Run the block over `texts` in postprocessing-sized chunks; the ids it removed. */
export async function minhashDedup(texts: readonly string[]): Promise<Set<number>> {
  const block = await makeBlock();
  const kept = new Set<number>();
  for (let i = 0; i < texts.length; i += CHUNK) {
    const rows: Row[] = [];
    for (let j = i; j < Math.min(texts.length, i + CHUNK); j++)
      rows.push({ id: j, task_name: "t", text: texts[j] });
    for (const r of await block.call(rows)) kept.add(r.id as number);
  }
  await block.close();
  const removed = new Set<number>();
  for (let j = 0; j < texts.length; j++) if (!kept.has(j)) removed.add(j);
  return removed;
}

/** Exact greedy dedup: a text is removed when its Jaccard similarity with a kept one reaches the threshold. */
export function exactDedup(texts: readonly string[]): Set<number> {
  const sets = texts.map((t) =>
    Uint32Array.from(new Set(shingleHashes(t, SETTINGS.shingle, SETTINGS.ngram))).sort(),
  );
  const kept: number[] = [];
  const removed = new Set<number>();
  for (let i = 0; i < sets.length; i++) {
    const a = sets[i]!;
    let dup = false;
    for (const j of kept) {
      const b = sets[j]!;
      // Jaccard ≥ t needs the sizes within a factor t of each other.
      if (Math.min(a.length, b.length) < SETTINGS.threshold * Math.max(a.length, b.length))
        continue;
      if (jaccard(a, b) >= SETTINGS.threshold) {
        dup = true;
        break;
      }
    }
    if (dup) removed.add(i);
    else kept.push(i);
  }
  return removed;
}

function jaccard(a: Uint32Array, b: Uint32Array): number {
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      both++;
      i++;
      j++;
    } else if (a[i]! < b[j]!) i++;
    else j++;
  }
  return both / (a.length + b.length - both);
}
