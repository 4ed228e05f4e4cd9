/**
 * Text preparation for the data-leak score: sentence splitting and word normalisation, so that a
 * copied fragment matches its source whatever the case, punctuation or spacing around it.
 */

/** English function words. They count for less in a match, and never start or end one alone. */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a about above after again against ain all am an and any are aren aren't as at be because been " +
    "before being below between both but by can couldn couldn't d did didn didn't do does doesn " +
    "doesn't doing don don't down during each few for from further had hadn hadn't has hasn hasn't " +
    "have haven haven't having he he'd he'll he's her here hers herself him himself his how i i'd " +
    "i'll i'm i've if in into is isn isn't it it'd it'll it's its itself just ll m ma me mightn " +
    "mightn't more most mustn mustn't my myself needn needn't no nor not now o of off on once only " +
    "or other our ours ourselves out over own re s same shan shan't she she'd she'll she's should " +
    "should've shouldn shouldn't so some such t than that that'll the their theirs them themselves " +
    "then there these they they'd they'll they're they've this those through to too under until up " +
    "ve very was wasn wasn't we we'd we'll we're we've were weren weren't what when where which " +
    "while who whom why will with won won't wouldn wouldn't y you you'd you'll you're you've your " +
    "yours yourself yourselves"
  ).split(" "),
);

/**
 * True for an English function word ("the", "of", "which").
 *
 * @example
 * isStopWord("the") // true
 */
export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

/** Abbreviations whose full stop does not end a sentence. */
const ABBREVIATIONS: ReadonlySet<string> = new Set(
  (
    "e.g i.e dr mr mrs ms vs gen prof rev hon etc jan feb mar apr jun jul aug sep sept oct nov dec " +
    "u.n u.s u.k e.u st apt a.m p.m capt sen cf n.b inc sr jr ltd co corp mt"
  ).split(" "),
);

/**
 * Split text into sentences at `.`, `!` or `?` followed by space and an upper-case letter, digit
 * or quote, except after a known abbreviation or a single initial ("J. Smith").
 *
 * @example
 * splitSentences("Dr. Lee left. He was late.") // ["Dr. Lee left.", "He was late."]
 */
export function splitSentences(text: string): string[] {
  const flat = text
    .replace(/\.{2,}/g, ".")
    .replace(/\s+/g, " ")
    .trim();
  if (!flat) return [];
  const out: string[] = [];
  let start = 0;
  const boundary = /[.!?]["')\]]*\s+(?=["'([]?[\p{Lu}\p{N}])/gu;
  for (let m = boundary.exec(flat); m; m = boundary.exec(flat)) {
    const before = flat.slice(start, m.index);
    const lastWord = (/(\S+)$/.exec(before)?.[1] ?? "").replace(/^["'([]+/, "").toLowerCase();
    if (flat[m.index] === "." && (ABBREVIATIONS.has(lastWord) || /^\p{L}$/u.test(lastWord)))
      continue;
    out.push(flat.slice(start, m.index + m[0].trimEnd().length));
    start = m.index + m[0].length;
  }
  if (start < flat.length) out.push(flat.slice(start));
  return out;
}

const PROTECTED = [
  /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/g, // ISO timestamps
  /\b(?:\d{1,3}\.){3}\d{1,3}\b/g, // IPv4 addresses
  /\b\d{1,2}:\d{1,2}(?::\d{1,2})?(?:\s?[AaPp]\.?[Mm]\.?)?\b/g, // clock times
];

/**
 * Lower-case words of a sentence with punctuation removed. Dates, IP addresses and clock times
 * stay whole, so "10:30" matches only "10:30"; hyphens, slashes and `@` stay inside words.
 *
 * @example
 * normalizeWords('The "quick", brown fox.') // ["the", "quick", "brown", "fox"]
 */
export function normalizeWords(sentence: string): string[] {
  const kept: string[] = [];
  let text = sentence.replace(/[\n\t]/g, " ");
  for (const re of PROTECTED) {
    text = text.replace(re, (m) => ` \uE000${kept.push(m.replace(/\s+/g, "")) - 1}\uE000 `);
  }
  text = text.replace(/[."!#$%&'()*+,:;<=>?[\\\]^_`{|}~]+/g, " ").toLowerCase();
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w.replace(/\uE000(\d+)\uE000/g, (_, i: string) => kept[Number(i)]!.toLowerCase()));
}
