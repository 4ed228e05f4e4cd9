import { existsSync } from "node:fs";
import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { readJsonl } from "../stores/formats/jsonl.js";

/**
 * One line of `dataloader_state.jsonl`: DiGiT's `{iter_index, row_index}` plus what digit needs to
 * resume exactly. A line is appended only after the records it accounts for are written, so the
 * last complete line always describes a consistent state. A run that starts fresh writes an
 * all-zero line before any record, so a folder whose state log has no such line was not written
 * by digit's accounting (see `readStateLog`).
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
  /**
   * Generation tasks: batches drawn (draw keys used) up to the last committed batch, builder
   * batches committed, and records accepted after it. A resumed run continues from these, so it
   * draws the very batches the interrupted run would have drawn next, and their requests are
   * answered by the response cache. Absent in folders of older versions (then a resumed run
   * draws new batches).
   */
  batches?: number | undefined;
  draws?: number | undefined;
  accepted?: number | undefined;
}

export const EMPTY_CHECKPOINT: TaskCheckpoint = {
  iter_index: 0,
  row_index: 0,
  data_rows: 0,
  postproc_epoch: 0,
  postproc_data_rows: 0,
};

/** A seed or input position as DiGiT saves it. */
export interface SeedPosition {
  iter_index: number;
  row_index: number;
}

/**
 * What a task folder's state log says: `none` (no line), `digit` (the last line is a digit
 * checkpoint) or `foreign` (the last line is DiGiT's `{iter_index, row_index}` only: the records
 * in `data` were counted by another program).
 */
export type StateLog =
  | { kind: "none" }
  | {
      kind: "digit";
      checkpoint: TaskCheckpoint;
      /**
       * `data_rows` of the log's first digit checkpoint: 0 when digit wrote every record of
       * `data`, the number of records it adopted otherwise (written by DiGiT or another tool).
       */
      firstDataRows: number;
    }
  | { kind: "foreign"; position: SeedPosition };

/**
 * Read a state log, without changing it. An unterminated last line (a checkpoint append that a
 * crash interrupted, so its batch was never committed) does not count, nor do lines that are not
 * checkpoints. Before appending to the log, cut such a line with `cutPartialLine`.
 *
 * @example
 * const state = await readStateLog("output/qa/dataloader_state.jsonl");
 * if (state.kind === "digit") console.log(state.checkpoint.data_rows);
 */
export async function readStateLog(file: string): Promise<StateLog> {
  if (!existsSync(file)) return { kind: "none" };
  let last: StateLog = { kind: "none" };
  let firstDataRows: number | undefined;
  for await (const line of readJsonl(file, { onBadRecord: "skip", ownOutput: true })) {
    const l = line as Partial<TaskCheckpoint> | null;
    if (typeof l?.iter_index !== "number" || typeof l.row_index !== "number") continue;
    if (typeof l.data_rows === "number") {
      firstDataRows ??= l.data_rows;
      last = {
        kind: "digit",
        checkpoint: { ...EMPTY_CHECKPOINT, ...l } as TaskCheckpoint,
        firstDataRows,
      };
    } else
      last = { kind: "foreign", position: { iter_index: l.iter_index, row_index: l.row_index } };
  }
  return last;
}

/**
 * Appends checkpoint lines to one state log through a file handle kept open between commits (no
 * folder creation, open or close per batch). Each line is one write, handed to the OS before
 * `append` resolves. The caller checks the file's location before the first append.
 *
 * @example
 * const log = new StateLogWriter("output/qa/dataloader_state.jsonl");
 * await log.append(EMPTY_CHECKPOINT);
 * await log.close();
 */
export class StateLogWriter {
  private handle: FileHandle | undefined;
  constructor(readonly file: string) {}

  /** Whether the file is open (appends need no new location check). */
  get isOpen(): boolean {
    return this.handle !== undefined;
  }

  async append(checkpoint: TaskCheckpoint): Promise<void> {
    if (!this.handle) {
      await mkdir(dirname(this.file), { recursive: true });
      this.handle = await open(this.file, "a");
    }
    await this.handle.appendFile(`${JSON.stringify(checkpoint)}\n`);
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }
}

/**
 * Records accepted after each committed builder batch of a generation task, by the batch count
 * (`draws`) its checkpoint line carries: entry `d` is the count once `d` batches were committed.
 *
 * @example
 * const after = await readAcceptedHistory("output/qa/dataloader_state.jsonl");
 * after.get(0) // records when the task started (0 for a fresh one)
 */
export async function readAcceptedHistory(file: string): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (!existsSync(file)) return out;
  for await (const line of readJsonl(file, { onBadRecord: "skip", ownOutput: true })) {
    const l = line as Partial<TaskCheckpoint> | null;
    if (typeof l?.draws === "number" && typeof l.accepted === "number")
      out.set(l.draws, l.accepted);
  }
  return out;
}
