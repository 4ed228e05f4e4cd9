import type { Block, Row } from "digit-sdg";

/**
 * Score in a judge reply: the number after the last "Rating:" / "Score:" label (case-insensitive),
 * else undefined.
 *
 * @example
 * judgeScore("The answer is fine.\nRating: 3") // 3
 */
export function judgeScore(reply: string): number | undefined {
  const all = [...reply.matchAll(/(?:rating|score)\s*[:=]\s*\**\s*(-?\d+(?:\.\d+)?)/gi)];
  const last = all.at(-1);
  return last ? Number(last[1]) : undefined;
}

/**
 * Run the `validator` (lm_judge) over rows whose `input` is a judge prompt, deciding with `pass`
 * on the judge's reply; returns the rows that passed, in order.
 *
 * @example
 * const kept = await judgeAll(validator, rows, (reply) => judgeScore(reply) === 1);
 */
export async function judgeAll(
  validator: Block,
  rows: Row[],
  pass: (reply: string) => boolean,
): Promise<Row[]> {
  if (rows.length === 0) return [];
  const withFunc = rows.map((r) => ({
    ...r,
    success_func: (reply: string) => ({
      valid: pass(reply),
      metadata: { score: judgeScore(reply) ?? null },
    }),
  }));
  const out = await validator.call(withFunc);
  return out
    .filter((r) => r.is_valid === true)
    .map((r) => {
      const { success_func: _f, is_valid: _v, metadata: _m, ...rest } = r;
      return rest;
    });
}

/**
 * Split `items` into groups of `size` (the last may be shorter).
 *
 * @example
 * chunk([1, 2, 3, 4, 5], 2) // [[1, 2], [3, 4], [5]]
 */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size))
    out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

/**
 * Resolve a prompt template: from the task's `prompt_templates_dir` when it has the file, else the
 * bundled one.
 *
 * @example
 * templatePath(task.spec.prompt_templates_dir, bundledDir, "questions.txt", warn)
 */
export function templateDir(
  custom: unknown,
  bundled: string,
  exists: (p: string) => boolean,
  warn: (m: string) => void,
): string {
  if (typeof custom !== "string" || !custom) return bundled;
  if (exists(custom)) return custom;
  warn(`prompt_templates_dir '${custom}' does not exist; using the bundled templates`);
  return bundled;
}
