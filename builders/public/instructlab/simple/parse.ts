/**
 * One generated instruction triple.
 *
 * @example
 * const t: InstructionTriple = { instruction: "Name a prime.", input: "", output: "7" };
 */
export interface InstructionTriple {
  instruction: string;
  input: string;
  output: string;
}

/**
 * Words that mark an instruction a text model cannot carry out (whole words, any case).
 *
 * @example
 * DENY_WORDS.includes("diagram") // true
 */
export const DENY_WORDS = [
  "image",
  "images",
  "graph",
  "graphs",
  "picture",
  "pictures",
  "file",
  "files",
  "map",
  "maps",
  "draw",
  "plot",
  "go to",
  "video",
  "audio",
  "music",
  "flowchart",
  "diagram",
] as const;

const DENY_RE = new RegExp(
  `\\b(?:${DENY_WORDS.map((w) => w.replace(/ /g, "\\s+")).join("|")})\\b`,
  "i",
);
const PUNCTUATION = /^[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;
const FIELD_SPLIT = /\*\*\s+(Instruction|Input|Output):?/;

/**
 * Render ICL examples in the instructlab layout, followed by the header of the task to write.
 *
 * @example
 * renderExamples([{ instruction: "Add 2 and 2", input: "", output: "4" }])
 * // "* Task 1\n** Instruction\nAdd 2 and 2\n** Input\n<noinput>\n** Output\n4\n\n* Task 2\n"
 */
export function renderExamples(examples: readonly InstructionTriple[]): string {
  let out = "";
  examples.forEach((e, i) => {
    out += `* Task ${i + 1}\n** Instruction\n${e.instruction.trim()}\n** Input\n${e.input.trim() || "<noinput>"}\n** Output\n${e.output.trim()}\n\n`;
  });
  return `${out}* Task ${examples.length + 1}\n`;
}

/**
 * Parse a completion written after `* Task <n+1>` (n = number of ICL examples) into instruction
 * triples, dropping malformed chunks and instructions a text-only model cannot or should not learn
 * from (see `rejectInstruction`). `<noinput>` becomes an empty input.
 *
 * @example
 * parseInstructions("** Instruction\nName a prime above 10.\n** Input\n<noinput>\n** Output\n11", 2)
 * // [{ instruction: "Name a prime above 10.", input: "", output: "11" }]
 */
export function parseInstructions(completion: string, numExamples: number): InstructionTriple[] {
  const raw = `* Task ${numExamples + 1}\n${completion}`;
  const out: InstructionTriple[] = [];
  for (const chunk of raw.split(/\* Task \d+/)) {
    if (!chunk.trim()) continue;
    const parts = chunk.split(FIELD_SPLIT);
    // [before, "Instruction", text, "Input", text, "Output", text]
    if (
      parts.length !== 7 ||
      parts[1] !== "Instruction" ||
      parts[3] !== "Input" ||
      parts[5] !== "Output"
    )
      continue;
    const instruction = parts[2]!.trim();
    let input = parts[4]!.trim();
    const output = parts[6]!.trim();
    if (input.toLowerCase() === "<noinput>") input = "";
    if (rejectInstruction(instruction) !== undefined || !output) continue;
    out.push({ instruction, input, output });
  }
  return out;
}

/**
 * Why an instruction is unusable, or undefined when it is fine: too short (≤ 3 words) or too long
 * (> 150 words), a deny-listed word, "Write a program", or a first character that is punctuation or
 * not ASCII.
 *
 * @example
 * rejectInstruction("Draw a cat for me please") // "mentions something a text model cannot do"
 */
export function rejectInstruction(instruction: string): string | undefined {
  const words = instruction.split(/\s+/).filter(Boolean).length;
  if (words <= 3) return "too short";
  if (words > 150) return "too long";
  if (DENY_RE.test(instruction)) return "mentions something a text model cannot do";
  if (instruction.startsWith("Write a program")) return "asks for a program";
  const first = instruction[0] ?? "";
  if (PUNCTUATION.test(first)) return "starts with punctuation";
  if (first.charCodeAt(0) > 0x7f) return "starts with a non-ASCII character";
  return undefined;
}
