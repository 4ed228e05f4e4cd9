import type { FieldStats } from "./api-types.js";

export type { FieldStats };

/** Records a field distribution looks at (the first ones of the file). */
export const FIELD_SAMPLE = 10_000;

/**
 * Per-field statistics of the first `FIELD_SAMPLE` records: presence, mean string length, mean
 * number and the five most common values.
 *
 * @example
 * const stats = await fieldStats(new RecordFile("out/qa/final_data.jsonl").records());
 */
export async function fieldStats(
  records: AsyncIterable<unknown>,
): Promise<{ sampled: number; fields: FieldStats[] }> {
  const acc = new Map<
    string,
    {
      present: number;
      chars: number;
      strings: number;
      sum: number;
      numbers: number;
      values: Map<string, number>;
    }
  >();
  let sampled = 0;
  for await (const r of records) {
    if (sampled >= FIELD_SAMPLE) break;
    sampled += 1;
    if (r === null || typeof r !== "object" || Array.isArray(r)) continue;
    for (const [k, v] of Object.entries(r)) {
      let a = acc.get(k);
      if (!a)
        acc.set(
          k,
          (a = { present: 0, chars: 0, strings: 0, sum: 0, numbers: 0, values: new Map() }),
        );
      if (v === null || v === undefined) continue;
      a.present += 1;
      if (typeof v === "string") {
        a.chars += v.length;
        a.strings += 1;
      } else if (typeof v === "number") {
        a.sum += v;
        a.numbers += 1;
      }
      const text = (typeof v === "string" ? v : JSON.stringify(v)).slice(0, 80);
      if (a.values.size < 5000 || a.values.has(text))
        a.values.set(text, (a.values.get(text) ?? 0) + 1);
    }
  }
  const fields = [...acc].map(([field, a]) => ({
    field,
    present: a.present,
    meanLength: a.strings ? a.chars / a.strings : undefined,
    mean: a.numbers ? a.sum / a.numbers : undefined,
    top: [...a.values]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 5)
      .map(([value, count]) => ({ value, count })),
  }));
  return { sampled, fields };
}
