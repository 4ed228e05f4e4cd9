/**
 * Answer templates of the fake LLM server: `{{n}}` (the answer number), `{{prompt}}` (the prompt,
 * or the last message of a chat), `{{model}}` and `{{words}}` (six words picked by the answer
 * number and the placeholder's position, so that answers differ enough for dedup filters).
 */
import type { FakeAnswer, FakeRequest } from "./types.js";

const ADJECTIVES = [
  "amber",
  "brisk",
  "calm",
  "dusty",
  "early",
  "faded",
  "gentle",
  "hidden",
  "icy",
  "jolly",
  "keen",
  "lively",
  "mellow",
  "narrow",
  "orange",
  "patient",
  "quiet",
  "rusty",
  "silver",
  "tidy",
  "upper",
  "vivid",
  "woolly",
  "young",
  "bright",
  "copper",
  "distant",
  "eager",
  "frosty",
  "golden",
  "humble",
  "ivory",
] as const;
const NOUNS = [
  "harbour",
  "orchard",
  "lantern",
  "meadow",
  "bakery",
  "bridge",
  "canal",
  "cellar",
  "chapel",
  "cottage",
  "ferry",
  "garden",
  "glacier",
  "island",
  "kettle",
  "library",
  "lighthouse",
  "market",
  "mill",
  "pier",
  "quarry",
  "railway",
  "river",
  "school",
  "stable",
  "tower",
  "tunnel",
  "valley",
  "village",
  "windmill",
  "workshop",
  "vineyard",
] as const;

/**
 * Fill the placeholders of an answer (text, or the content of a tool-call answer).
 *
 * @example
 * render("Answer {{n}} about {{words}}", request) // "Answer 3 about rusty ferry golden orchard calm tower"
 */
export function render(answer: FakeAnswer, req: FakeRequest): FakeAnswer {
  const fill = (t: string) => {
    let slot = 0;
    return t.replace(/\{\{\s*(n|prompt|model|words)\s*\}\}/g, (_, k: string) =>
      k === "n"
        ? String(req.n)
        : k === "prompt"
          ? req.prompt
          : k === "model"
            ? req.model
            : wordsFor(req.n, slot++),
    );
  };
  if (typeof answer === "string") return fill(answer);
  return {
    ...answer,
    content: answer.content == null ? answer.content : fill(answer.content),
    ...(answer.tool_calls
      ? {
          tool_calls: answer.tool_calls.map((c) => ({
            ...c,
            arguments: Object.fromEntries(
              Object.entries(c.arguments).map(([k, v]) => [k, typeof v === "string" ? fill(v) : v]),
            ),
          })),
        }
      : {}),
  };
}

/**
 * Six words (adjective, noun, three times) for answer `n` and placeholder `slot`: the same inputs
 * always give the same words; different ones rarely share more than a word or two.
 *
 * @example
 * wordsFor(1, 0) === wordsFor(1, 0) // true
 */
export function wordsFor(n: number, slot: number): string {
  let h = hash(n * 131 + slot * 7919 + 17);
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    out.push(ADJECTIVES[h % ADJECTIVES.length]!);
    h = hash(h + i + 1);
    out.push(NOUNS[h % NOUNS.length]!);
    h = hash(h + i + 101);
  }
  return out.join(" ");
}

/** A 32-bit integer hash (an avalanche mix), as an unsigned number. */
function hash(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
