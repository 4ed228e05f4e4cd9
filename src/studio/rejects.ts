import type { RecordFile } from "./record-file.js";

/** How many rows one block removed, by reason. */
export interface RejectReasons {
  total: number;
  reasons: { reason: string; count: number }[];
}

/** A reason without its numbers, so "too short (12 chars)" and "(9 chars)" group together. */
function reasonGroup(reason: string): string {
  return reason.replace(/\d+(\.\d+)?/g, "N").slice(0, 200);
}

/**
 * The reasons a block's reject file gives, grouped (digits folded to N) and counted, most
 * common first. Streams the file once.
 *
 * @example
 * const { reasons } = await rejectReasons(new RecordFile("out/qa/blocks/dedup.jsonl"));
 */
export async function rejectReasons(file: RecordFile): Promise<RejectReasons> {
  const counts = new Map<string, number>();
  let total = 0;
  for await (const record of file.records()) {
    total += 1;
    const r =
      record !== null && typeof record === "object"
        ? (record as Record<string, unknown>).reason
        : undefined;
    const group = reasonGroup(
      typeof r === "string" ? r : r === undefined ? "(no reason recorded)" : JSON.stringify(r),
    );
    counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  const reasons = [...counts]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count);
  return { total, reasons };
}
