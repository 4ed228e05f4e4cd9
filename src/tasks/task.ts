import { existsSync, readdirSync } from "node:fs";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import type { RunnerConfig, TaskSpec } from "../config/schemas.js";
import type { Formatter } from "../formatters/formatter.js";
import type { Registry } from "../registry/registry.js";
import type { Datastore, DatastoreConfig } from "../stores/datastore.js";
import { DefaultDatastore } from "../stores/default/index.js";
import { createDatastore } from "../stores/factory.js";
import { appendJsonl, cutPartialLine, readJsonl } from "../stores/formats/jsonl.js";
import type { Logger } from "../telemetry/logger.js";
import { IdSet } from "../util/id-set.js";
import type { Row } from "../util/mapping.js";
import { isObj } from "../util/mapping.js";
import { assertInsideOutput } from "../util/output-containment.js";
import { BLOCK_NAME_RULE, checkOutputName } from "../util/output-names.js";
import type { Random } from "../util/random.js";
import { redactSecrets } from "../util/redact.js";
import { AcceptedRecords } from "./accepted-records.js";
import { cutAfter, droppedName, storeHasOutput } from "./dropped-records.js";
import { OrdinalIds, recordId } from "./record-id.js";
import { OrdinalRecordEncoder } from "./record-lines.js";
import { removeStaleTemporaries } from "./stale-temporaries.js";
import {
  EMPTY_CHECKPOINT,
  readStateLog,
  type SeedPosition,
  type StateLog,
  StateLogWriter,
  type TaskCheckpoint,
} from "./state-log.js";

/** `postproc_data_<N>.<format>`: a postprocessing snapshot. */
const POSTPROC_FILE = /^postproc_data_(\d+)\.(?:jsonl|parquet|csv|json)$/;

/** Everything a task needs from the engine to open its outputs. */
export interface TaskInit {
  /** The validated task dict (framework keys and the builder's own task fields). */
  spec: TaskSpec;
  file: string | undefined;
  builderName: string;
  /** The parsed runner config (defaults and CLI task options applied). */
  runnerConfig: RunnerConfig;
  restart: boolean;
  registry: Registry;
  rng: Random;
  logger: Logger;
  buildId: string;
  /** Keys of the builder's output records (others are dropped after postprocessing); undefined = keep. */
  outputFields: readonly string[] | undefined;
  formatter: Formatter | undefined;
}

/** Records adopted from a DiGiT snapshot are appended to `data` this many at a time. */
const ADOPT_CHUNK = 1000;

/** The files a task keeps directly in its folder, besides its stores. */
const TASK_FILES = [
  "task_card.jsonl",
  "task_results.jsonl",
  "logs.jsonl",
  "progress.jsonl",
  "dataloader_state.jsonl",
] as const;

/** How a task ended. */
/**
 * Where a committed batch leaves the task: its seed position and, for generation batches, the
 * batch counters of `TaskCheckpoint` (`batches`, `draws`).
 */
export type CommitPosition = SeedPosition & Pick<TaskCheckpoint, "batches" | "draws">;

export type TaskStatus =
  | "completed"
  | "stalled_generation"
  | "stalled_postprocessing"
  | "attempts_exhausted"
  | "budget_exhausted"
  | "cancelled"
  | "errored";

/**
 * One task of a run: its output folder and stores, the accepted records, and the checkpoint that
 * lets an interrupted run continue exactly where it stopped. Subclasses add the seed loop
 * (GenerationTask) or the single pass over input data (TransformationTask).
 *
 * @example
 * override instantiateInput(task: Task, row: Row): Row {
 *   return { ...row, task_name: task.name };
 * }
 */
export abstract class Task {
  abstract readonly kind: "generation" | "transformation";
  readonly name: string;
  readonly spec: TaskSpec;
  readonly file: string | undefined;
  readonly builderName: string;
  readonly runnerConfig: RunnerConfig;
  readonly rng: Random;
  readonly logger: Logger;
  readonly formatter: Formatter | undefined;
  /** `<output_dir>/<store_name>`: where every file of the task goes. */
  readonly dir: string;
  readonly outputDir: string;
  readonly storeName: string;
  restart: boolean;
  /**
   * Records accepted so far (postprocessed ones first, then newer ones): their count and the
   * example pool in memory; the records themselves are read from disk with `readAccepted`.
   */
  accepted = new AcceptedRecords();
  /** Rows removed by postprocessing, per epoch (for the summary). */
  postprocessEpoch = 0;
  checkpoint: TaskCheckpoint = { ...EMPTY_CHECKPOINT };
  resumed = false;
  protected readonly init: TaskInit;
  protected data!: Datastore;
  /**
   * Generation tasks: ids of every record in `data` (accepted now or removed by postprocessing
   * since), the exact-duplicate index, 8 to 16 bytes per id (see `IdSet`). Transformation tasks
   * keep every output, so they keep no index.
   */
  private readonly seenIds = new IdSet();
  private readonly rejectStores = new Map<string, Promise<Datastore>>();
  /** `dataloader_state.jsonl`, open while the task commits. */
  private readonly stateWriter: StateLogWriter;

  constructor(init: TaskInit) {
    this.init = init;
    this.spec = init.spec;
    this.name = init.spec.task_name;
    this.file = init.file;
    this.builderName = init.builderName;
    this.runnerConfig = init.runnerConfig;
    this.rng = init.rng;
    this.logger = init.logger;
    this.formatter = init.formatter;
    this.restart = init.restart;
    this.storeName = String(init.spec.store_name ?? init.spec.datastore?.store_name ?? this.name);
    this.outputDir = resolve(
      init.runnerConfig.output_dir ?? (process.env.DGT_OUTPUT_DIR || "output"),
    );
    this.dir = join(this.outputDir, this.storeName);
    this.stateWriter = new StateLogWriter(join(this.dir, "dataloader_state.jsonl"));
  }

  /** The config of the task's own output stores (DiGiT's `datastore`, minus store_name). */
  protected storeConfig(
    key: "datastore" | "final_datastore" | "formatted_datastore",
    suffix: string,
  ): DatastoreConfig {
    const base = this.spec[key] ?? this.spec.datastore ?? { type: "default" };
    const { store_name: _ignored, restart: _r, output_dir: _o, ...rest } = base;
    return {
      ...rest,
      store_name: `${this.storeName}/${suffix}`,
      output_dir: this.outputDir,
      restart: false,
    };
  }

  protected file_(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Refuse to run when the task's folder, or anything in it or in its `blocks/` (digit owns both:
   * it appends to, truncates and replaces what is there), is a symbolic link resolving outside the
   * output folder, since writing would change a foreign file. Runs before the folder is locked; the
   * stores and the task files are checked again before each write.
   */
  async checkOutputPaths(): Promise<void> {
    await assertInsideOutput(this.outputDir, this.dir);
    for (const folder of [this.dir, this.file_("blocks")]) {
      await assertInsideOutput(this.outputDir, folder);
      const names = await readdir(folder).catch(() => [] as string[]);
      for (const name of names) await assertInsideOutput(this.outputDir, join(folder, name));
    }
  }

  /**
   * Open stores, clear them on restart, or load the accepted records and checkpoint to resume.
   * Records this task's own checkpoints do not account for are never deleted: a folder written by
   * DiGiT (or without a state log) is adopted or refused (see `adoptForeign`), and records after
   * the last checkpoint are moved to a backup file (see `cutAfter`).
   */
  async open(): Promise<void> {
    this.openedAt = Date.now();
    await mkdir(this.dir, { recursive: true });
    this.data = await createDatastore(this.init.registry, this.storeConfig("datastore", "data"));
    if (!this.restart && (await this.shouldStartFresh())) this.restart = true;
    if (this.restart) {
      await this.clearOutputs();
      await this.startFresh();
    } else await this.loadCheckpoint();
    this.opened = true;
    const stale = await removeStaleTemporaries(this.dir, this.openedAt);
    if (stale.length)
      this.logger.info(
        `task '${this.name}': removed ${stale.length} temporary file(s) left by an interrupted write: ${stale.map((f) => relative(this.dir, f)).join(", ")}`,
      );
    // final and formatted data are always rebuilt at the end of a run.
    for (const [key, suffix] of [
      ["final_datastore", "final_data"],
      ["formatted_datastore", "formatted_data"],
    ] as const) {
      await (await createDatastore(this.init.registry, this.storeConfig(key, suffix))).clear();
    }
  }

  /**
   * Whether digit wrote every record of `data` (none adopted from DiGiT or another tool), so
   * each line is exactly the JSON of the record it holds, id included.
   */
  private ownRecordsOnly = false;

  /** When `open` started: temporaries older than this are left over from earlier runs. */
  private openedAt = 0;

  /** Whether `open` got past checking and preparing the folder (so the task's files are its own). */
  opened = false;

  /** Extra zero counters of a fresh checkpoint (generation tasks count batches). */
  protected freshCounters(): Partial<TaskCheckpoint> {
    return {};
  }

  /** A transformation that completed last time is run afresh (DiGiT re-runs them every time). */
  protected async shouldStartFresh(): Promise<boolean> {
    return false;
  }

  private async clearOutputs(): Promise<void> {
    await this.data.clear();
    await this.stateWriter.close();
    for (const f of TASK_FILES) await rm(this.file_(f), { force: true });
    for (const f of existsSync(this.dir) ? readdirSync(this.dir) : [])
      if (POSTPROC_FILE.test(f)) await rm(this.file_(f), { recursive: true, force: true });
    await rm(this.file_("blocks"), { recursive: true, force: true });
  }

  /** Mark the folder as digit's before any record is written: an all-zero checkpoint. */
  private async startFresh(): Promise<void> {
    this.ownRecordsOnly = true;
    this.checkpoint = { ...EMPTY_CHECKPOINT, ...this.freshCounters() };
    await this.appendState();
  }

  private async loadCheckpoint(): Promise<void> {
    const state = await this.stateLog();
    // The next checkpoint must start on a line of its own.
    await cutPartialLine(this.file_("dataloader_state.jsonl"));
    if (state.kind === "digit") {
      this.ownRecordsOnly = state.firstDataRows === 0;
      return this.resumeFrom(state.checkpoint);
    }
    if (state.kind === "none" && !(await storeHasOutput(this.data))) return this.startFresh();
    return this.adoptForeign(state.kind === "foreign" ? state.position : undefined);
  }

  /**
   * Check, before any task of the run touches its folder, that the task can open it; throws a
   * DigitError if not. (Generation tasks can open any folder.)
   */
  async check(): Promise<void> {}

  /** What the folder's state log says (read only). */
  protected stateLog(): Promise<StateLog> {
    return readStateLog(this.file_("dataloader_state.jsonl"));
  }

  /** Continue from one of digit's own checkpoints. */
  private async resumeFrom(cp: TaskCheckpoint): Promise<void> {
    this.resumed = true;
    this.checkpoint = cp;
    await this.setAsideUncommitted(
      cp.data_rows,
      "written after the last checkpoint (a batch that was never committed); it will be made again",
    );
    const accepted = new AcceptedRecords();
    if (cp.postproc_epoch > 0) {
      const snapshot = await this.postprocStore(cp.postproc_epoch);
      for await (const r of snapshot.read()) accepted.add([this.withId(r)]);
    }
    let i = 0;
    for await (const raw of this.data.read()) {
      const r = this.withId(raw);
      this.remember(r);
      if (i++ >= cp.postproc_data_rows) accepted.add([r]);
    }
    if (i < cp.data_rows)
      this.logger.warn(
        `${this.data.location}: expected ${cp.data_rows} records, found ${i}; resuming with what is there`,
      );
    this.postprocessEpoch = cp.postproc_epoch;
    this.accepted = accepted;
    this.logger.info(
      `resuming task '${this.name}': ${this.accepted.length} records accepted so far`,
    );
  }

  /**
   * A folder whose records digit's checkpoints do not account for: DiGiT's output (its state log
   * has only `{iter_index, row_index}`), or a `data` file without a state log. A generation task
   * adopts every record as accepted (the ones of DiGiT's latest `postproc_data_N` too, which DiGiT
   * itself never reloaded) and continues from DiGiT's seed position; a transformation task cannot
   * tell which inputs the records came from, so it refuses. See `TransformationTask`.
   */
  protected async adoptForeign(position: SeedPosition | undefined): Promise<void> {
    // Complete records only; a torn last line goes to a backup file.
    let count = 0;
    for await (const _ of this.data.read()) count++;
    await this.setAsideUncommitted(
      count,
      "an incomplete last record (a write that was interrupted)",
    );
    const accepted = new AcceptedRecords();
    const ids = new IdSet();
    for await (const raw of this.data.read()) {
      const r = this.withId(raw);
      ids.add(r.id as string);
      this.remember(r);
      accepted.add([r]);
    }
    const snapshots = (existsSync(this.dir) ? readdirSync(this.dir) : []).filter((f) =>
      POSTPROC_FILE.test(f),
    );
    const latest = Math.max(0, ...snapshots.map((f) => Number(POSTPROC_FILE.exec(f)![1])));
    // The adopted records become the start of digit's record log, then a checkpoint counts them.
    let extra = 0;
    if (latest > 0) {
      let chunk: Row[] = [];
      const flush = async () => {
        if (chunk.length) await this.data.append(chunk);
        accepted.add(chunk);
        extra += chunk.length;
        chunk = [];
      };
      for await (const raw of (await this.postprocStore(latest)).read()) {
        const r = this.withId(raw);
        if (!ids.add(r.id as string)) continue;
        this.remember(r);
        chunk.push(r);
        if (chunk.length >= ADOPT_CHUNK) await flush();
      }
      await flush();
    }
    // Postprocessing epochs write postproc_data_1.. afresh: DiGiT's snapshots are set aside.
    const moved: string[] = [];
    for (const f of snapshots) {
      const to = droppedName(this.file_(f));
      await rename(this.file_(f), to);
      moved.push(to);
    }
    this.resumed = true;
    this.checkpoint = { ...EMPTY_CHECKPOINT, ...(position ?? {}), data_rows: accepted.length };
    await this.appendState();
    this.accepted = accepted;
    const from = position
      ? "a DiGiT output folder"
      : `${this.data.location} without a dataloader_state.jsonl`;
    this.logger.warn(
      `task '${this.name}': adopted ${accepted.length} records from ${from} as accepted` +
        (extra
          ? ` (${extra} of them from ${snapshots.find((f) => Number(POSTPROC_FILE.exec(f)![1]) === latest)})`
          : "") +
        (position
          ? `, continuing from seed position ${position.iter_index}/${position.row_index}`
          : "") +
        (moved.length
          ? `; DiGiT's postprocessing snapshots were moved to ${moved.join(", ")}`
          : "") +
        "; run with --restart to discard them instead",
    );
  }

  /** Keep `keep` records of `data`, moving the rest to a backup file, and say so. */
  private async setAsideUncommitted(keep: number, why: string): Promise<void> {
    const dropped = await cutAfter(this.data, keep);
    if (dropped)
      this.logger.warn(
        `${this.data.location}: moved ${dropped.records ? `${dropped.records} record(s)` : "an incomplete last line"} ${why} to ${dropped.file}`,
      );
  }

  /** A record with its stable id (records written by DiGiT have none; it is given in memory). */
  private withId(row: Row): Row {
    return typeof row.id === "string" ? row : { ...row, id: recordId(this.name, row) };
  }

  /** The store of postprocessing epoch `n` (`postproc_data_<n>`). */
  postprocStore(n: number): Promise<Datastore> {
    return createDatastore(this.init.registry, this.storeConfig("datastore", `postproc_data_${n}`));
  }

  /** Add a record of `data` to the exact-duplicate index (generation tasks only). */
  private remember(r: Row): void {
    if (this.dropsExactDuplicates) this.seenIds.add(r.id as string);
  }

  /**
   * Every accepted record, in order, read from disk: the latest postprocessing snapshot, then the
   * `data` records committed since. `limit` stops after that many.
   *
   * @example
   * for await (const r of task.readAccepted()) console.log(r.id);
   */
  async *readAccepted(limit = Number.POSITIVE_INFINITY): AsyncGenerator<Row> {
    let n = 0;
    if (n >= limit) return;
    if (this.checkpoint.postproc_epoch > 0) {
      for await (const r of (await this.postprocStore(this.checkpoint.postproc_epoch)).read()) {
        yield this.withId(r);
        if (++n >= limit) return;
      }
    }
    for await (const r of this.readData(
      this.checkpoint.postproc_data_rows,
      this.checkpoint.data_rows,
    )) {
      yield this.withId(r);
      if (++n >= limit) return;
    }
  }

  /** Records `from` (inclusive) to `to` (exclusive) of `data`. */
  private async *readData(from: number, to: number): AsyncGenerator<Row> {
    if (from >= to) return;
    const sources = await this.data.sources();
    let i = sources.length === 1 ? from : 0;
    const rows = sources.length === 1 ? sources[0]!.rows(from) : this.data.read();
    for await (const r of rows) {
      if (i >= to) return;
      if (i++ >= from) yield r as Row;
    }
  }

  /**
   * Give a builder output its framework fields: task_name and is_seed (first, in DiGiT's field
   * order) and, unless `withoutId` or it has a string id already, a stable id (a hash of task
   * and content, see `recordId`). Routing fields (SRC_DATA, store_names, draw_key) are left out.
   */
  toRecord(row: Row, withoutId = false): Row {
    const record: Row = { task_name: this.name, is_seed: row.is_seed === true };
    for (const key of Object.keys(row)) {
      if (key === "SRC_DATA" || key === "store_names" || key === "draw_key") continue;
      // A "__proto__" key (JSON.parse makes it an own field) must stay a field, not a prototype.
      if (key === "__proto__")
        Object.defineProperty(record, key, {
          value: row[key],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else record[key] = row[key];
    }
    record.task_name = this.name;
    record.is_seed = row.is_seed === true;
    if (!withoutId && typeof record.id !== "string") record.id = recordId(this.name, record);
    return record;
  }

  /** Whether an output equal to an accepted record is dropped (generation) or kept (transformation). */
  protected abstract readonly dropsExactDuplicates: boolean;

  /**
   * Transformation records get ordinal ids from the JSONL line the store writes (one encoding
   * for both, see `OrdinalRecordEncoder`).
   */
  private ordinalEncoder: OrdinalRecordEncoder | undefined;

  /**
   * Commit one batch: append its records, then the checkpoint that says they are committed.
   * In generation tasks a record equal to one made before (kept or removed by postprocessing) is
   * not kept again; it is written to `blocks/duplicates` with the id it repeats. Transformation
   * records are all kept, each with an id unique to its place in the output. Returns how many
   * records were added.
   */
  async commit(rows: readonly Row[], position: CommitPosition): Promise<number> {
    const fresh: Row[] = [];
    const repeats: Row[] = [];
    if (this.dropsExactDuplicates) {
      for (const r of rows) {
        const rec = this.toRecord(r);
        if (!this.seenIds.add(rec.id as string)) {
          repeats.push({
            ...rec,
            block_name: "duplicates",
            reason: `exact duplicate of record ${String(rec.id)}`,
          });
          continue;
        }
        fresh.push(rec);
      }
      if (fresh.length) await this.data.append(fresh);
    } else if (rows.length) {
      for (const r of rows) fresh.push(this.toRecord(r, true));
      this.ordinalEncoder ??= new OrdinalRecordEncoder(new OrdinalIds(this.name));
      const jsonl = this.ordinalEncoder.encode(fresh, this.checkpoint.data_rows);
      await this.data.appendJsonl(fresh, jsonl);
    }
    if (repeats.length) {
      await (await this.rejectStore("duplicates")).append(repeats);
      this.onDuplicates?.(repeats.length);
    }
    this.accepted.add(fresh);
    this.checkpoint = {
      ...this.checkpoint,
      ...position,
      data_rows: this.checkpoint.data_rows + fresh.length,
    };
    if (this.checkpoint.draws !== undefined) this.checkpoint.accepted = this.accepted.length;
    await this.appendState();
    return fresh.length;
  }

  /** Called with the number of exact duplicates a commit dropped (for counters). */
  onDuplicates: ((count: number) => void) | undefined;

  /** Records accepted since the last postprocessing. */
  get unprocessed(): number {
    return this.checkpoint.data_rows - this.checkpoint.postproc_data_rows;
  }

  /**
   * Record the result of a postprocessing epoch: snapshot file (written as `rows` streams in),
   * then checkpoint. The accepted set changes only once the snapshot is complete.
   */
  async savePostprocessed(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void> {
    const epoch = this.postprocessEpoch + 1;
    const accepted = new AcceptedRecords();
    const keep = (r: Row) => this.keepOutputFields(r);
    async function* kept(): AsyncGenerator<Row> {
      for await (const r of rows) {
        const k = keep(r);
        accepted.add([k]);
        yield k;
      }
    }
    await (await this.postprocStore(epoch)).replace(kept());
    this.postprocessEpoch = epoch;
    this.accepted = accepted;
    this.checkpoint = {
      ...this.checkpoint,
      postproc_epoch: epoch,
      postproc_data_rows: this.checkpoint.data_rows,
    };
    await this.appendState();
  }

  /** Keep only the builder's output fields (plus task_name, is_seed, id). */
  keepOutputFields(row: Row, before?: Row): Row {
    const fields = this.init.outputFields;
    const keys = fields ? ["task_name", "is_seed", ...fields, "id"] : Object.keys(before ?? row);
    const out: Row = {};
    for (const k of keys) if (k in row) out[k] = row[k];
    return out;
  }

  /** The store rows removed by block `block` go to (`blocks/<block>`), created on first use. */
  rejectStore(block: string): Promise<Datastore> {
    let p = this.rejectStores.get(block);
    if (!p) {
      checkOutputName(block, BLOCK_NAME_RULE);
      p = createDatastore(this.init.registry, this.storeConfig("datastore", `blocks/${block}`));
      this.rejectStores.set(block, p);
    }
    return p;
  }

  /** How many records go into final_data (all accepted ones; generation trims to the target). */
  finalCount(): number {
    return this.accepted.length;
  }

  /**
   * Write final_data (and formatted_data when asked), atomically, streaming from disk. `finalize`
   * (the builder's) may reshape the final records first and write outputs of its own; it gets them
   * all at once, so only a builder that has one holds its final records in memory.
   */
  async writeFinal(finalize?: (records: Row[]) => Promise<Row[]>): Promise<number> {
    const count = this.finalCount();
    let total = count;
    let source: () => Iterable<Row> | AsyncIterable<Row> = () => this.readAccepted(count);
    if (finalize) {
      const all: Row[] = [];
      for await (const r of this.readAccepted(count)) all.push(r);
      const records = await finalize(all);
      total = records.length;
      source = () => records;
    }
    const final = await createDatastore(
      this.init.registry,
      this.storeConfig("final_datastore", "final_data"),
    );
    if (total && !(!finalize && (await this.copyFinal(final, count))))
      await final.replace(source());
    if (this.runnerConfig.save_formatted_output) {
      if (!this.formatter)
        throw new Error(`task '${this.name}': save_formatted_output needs a 'formatter'`);
      const formatter = this.formatter;
      const formatted = await createDatastore(
        this.init.registry,
        this.storeConfig("formatted_datastore", "formatted_data"),
      );
      const records = source();
      async function* out(): AsyncGenerator<Row> {
        for await (const r of records) {
          const f = await formatter.apply(r);
          yield typeof f === "string" ? { text: f } : f;
        }
      }
      if (total) await formatted.replace(out());
    }
    return total;
  }

  /**
   * final_data as a byte copy of the first `count` records of `data`, when that is exactly what
   * reading and writing them would give: no postprocessing snapshot in between, every record
   * written by digit, JSONL in and out. False (nothing written) otherwise.
   */
  private async copyFinal(final: Datastore, count: number): Promise<boolean> {
    if (this.checkpoint.postproc_epoch > 0 || !this.ownRecordsOnly) return false;
    if (count > this.checkpoint.data_rows) return false;
    if (!(final instanceof DefaultDatastore) || !(this.data instanceof DefaultDatastore))
      return false;
    const file = this.data.ownJsonlFile;
    if (file === undefined || !existsSync(file)) return false;
    return final.replaceWithRecordsOf(file, 0, count);
  }

  /**
   * Append a line to a task JSONL file (task_card, task_results, logs), secrets redacted
   * (util/redact). An unterminated last line (an append a full disk or a crash cut short) is cut
   * first, so this line stays readable.
   */
  async appendLine(
    file: "task_card.jsonl" | "task_results.jsonl" | "logs.jsonl",
    record: Row,
  ): Promise<void> {
    await assertInsideOutput(this.outputDir, this.file_(file));
    await cutPartialLine(this.file_(file));
    await appendJsonl(this.file_(file), [redactSecrets(record)]);
  }

  /** Append the current checkpoint to `dataloader_state.jsonl`. */
  private async appendState(): Promise<void> {
    // The location is checked before the file is opened; the open file cannot be redirected.
    if (!this.stateWriter.isOpen) await assertInsideOutput(this.outputDir, this.stateWriter.file);
    await this.stateWriter.append(this.checkpoint);
  }

  /** Where the final data is, if it exists (checked, not assumed). */
  async finalLocation(): Promise<string | undefined> {
    const final = await createDatastore(
      this.init.registry,
      this.storeConfig("final_datastore", "final_data"),
    );
    return (await final.exists()) ? final.location : undefined;
  }

  /** All lines of a task JSONL file. */
  async readLines(file: "task_card.jsonl" | "task_results.jsonl"): Promise<Row[]> {
    const rows: Row[] = [];
    if (!existsSync(this.file_(file))) return rows;
    for await (const r of readJsonl(this.file_(file), { onBadRecord: "skip" }))
      if (isObj(r)) rows.push(r);
    return rows;
  }

  async close(): Promise<void> {
    await this.stateWriter.close();
    await this.data?.close();
    for (const p of this.rejectStores.values()) await (await p).close();
  }
}

/**
 * Write rows a block removed to `blocks/<block>` of the task each row names; a row naming none of
 * `tasks` goes to the first (a validator may drop the field).
 *
 * @example
 * await appendRejects(builder.tasks, "dedup", rejectedRows);
 */
export async function appendRejects(
  tasks: readonly Task[],
  block: string,
  rows: readonly Row[],
): Promise<void> {
  const byTask = new Map<Task, Row[]>();
  for (const r of rows) {
    const t = tasks.find((x) => x.name === r.task_name) ?? tasks[0];
    if (!t) continue;
    if (!byTask.has(t)) byTask.set(t, []);
    byTask.get(t)!.push(r);
  }
  for (const [t, rs] of byTask) await (await t.rejectStore(block)).append(rs);
}
