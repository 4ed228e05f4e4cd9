import { existsSync } from "node:fs";
import { appendJsonl, readJsonl } from "../stores/formats/jsonl.js";

/**
 * One line of `dataloader_state.jsonl`: DiGiT's `{iter_index, row_index}` plus what digit needs to
 * resume exactly. A line is appended only after the records it accounts for are written, so the
 * last complete line always describes a consistent state.
 */
export interface TaskCheckpoint {
  iter_index: number;
  row_index: number;
  /** Records in `data` that belong to committed batches. */
  data_rows: number;
  /** Latest finished postprocessing epoch (0 = none). */
  postproc_epoch: number;
  /** How many `data` records that epoch's `postproc_data_N` already accounts for. */
  postproc_data_rows: number;
}

export const EMPTY_CHECKPOINT: TaskCheckpoint = { iter_index: 0, row_index: 0, data_rows: 0, postproc_epoch: 0, postproc_data_rows: 0 };

/** The last complete checkpoint in a state log (DiGiT-only lines fill in zeros). */
export async function readLastCheckpoint(file: string): Promise<TaskCheckpoint | undefined> {
  if (!existsSync(file)) return undefined;
  let last: TaskCheckpoint | undefined;
  for await (const line of readJsonl(file, { onBadRecord: "skip" })) {
    const l = line as Partial<TaskCheckpoint>;
    if (typeof l.iter_index === "number" && typeof l.row_index === "number") last = { ...EMPTY_CHECKPOINT, ...l } as TaskCheckpoint;
  }
  return last;
}

/** Append a checkpoint line. */
export async function appendCheckpoint(file: string, checkpoint: TaskCheckpoint): Promise<void> {
  await appendJsonl(file, [checkpoint]);
}
