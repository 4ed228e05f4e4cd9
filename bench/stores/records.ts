/** The benchmark's record: a question, an answer, a list of tags and a number. */
export function record(i: number): Record<string, unknown> {
  return {
    question: `What is the capital of the country numbered ${i}, and why is it there?`,
    answer: `Its capital is City-${i}; it grew at a river crossing — façade, naïve, 東京.`,
    tags: ["geography", i % 2 ? "odd" : "even", `bucket-${i % 16}`],
    n: i,
  };
}
