import { type GenerationRunnerConfig, seedBatchSizeOf } from "../config/schemas.js";
import { derivedFrom } from "../config/source-map.js";
import type { Dataloader, DataloaderState } from "../stores/dataloader.js";
import type { DatastoreConfig } from "../stores/datastore.js";
import { createDataloader, createDatastore } from "../stores/factory.js";
import { DRAW_KEY, drawKey, rowDrawKey } from "../util/draw-key.js";
import type { Row } from "../util/mapping.js";
import { Random } from "../util/random.js";
import { readAcceptedHistory, type TaskCheckpoint } from "./state-log.js";
import { Task, type TaskInit } from "./task.js";

/**
 * A batch of inputs handed to a builder, and the seed position after it.
 *
 * @example
 * override async nextBatch(task: GenerationTask): Promise<InputBatch> {
 *   const { iter_index, row_index } = task.checkpoint;
 *   return { rows: [{ topic: "rivers" }], position: { iter_index, row_index } };
 * }
 */
export interface InputBatch {
  rows: Row[];
  position: DataloaderState;
}

/**
 * A task that makes `num_outputs_to_generate` new records from seed examples, mixing seeds with
 * records it already made (in-context learning material).
 *
 * @example
 * const task = this.task<GenerationTask>(name);
 * const perBatch = Math.min(task.seedBatchSize, task.target); // target: num_outputs_to_generate
 */
export class GenerationTask extends Task {
  readonly kind = "generation" as const;
  protected readonly dropsExactDuplicates = true;
  declare readonly runnerConfig: GenerationRunnerConfig;
  readonly target: number;
  readonly seedBatchSize: number;
  readonly machineBatchSize: number;
  private loader!: Dataloader;
  private seedCache: Row[] | undefined;
  /** Turns a seed row into builder input (the builder may pick fields). */
  instantiateInput: (row: Row) => Row = (row) => row;
  /** Derived once from the task's seed: the root of every per-row draw key of this task. */
  private readonly drawSalt: string;
  /** Batches drawn this run (the index of the next one). */
  private batchesDrawn = 0;
  /** How many accepted records the next batch may sample machine examples from (see `planBatch`). */
  private machinePrefix: number | undefined;
  /** How many accepted records each batch of this run may sample from, by batch key. */
  private readonly prefixes = new Map<string, number>();
  /**
   * Part of every draw key: 0, unless the folder's checkpoints do not count batches (an older
   * version's or DiGiT's): then the records found, so the resumed run draws new keys.
   */
  private runStart = 0;
  /** Builder batches committed before this run (the checkpoint's `draws`). */
  drawsBefore = 0;
  /** Records accepted after each batch committed before this run, by batch count (see readAcceptedHistory). */
  private acceptedHistory = new Map<number, number>();

  constructor(init: TaskInit) {
    super(init);
    const salt = init.rng.derive("draws");
    this.drawSalt = `${this.name}:${Math.floor(salt.next() * 2 ** 32).toString(16)}${Math.floor(salt.next() * 2 ** 32).toString(16)}`;
    const runner = init.runnerConfig;
    if (!("num_outputs_to_generate" in runner))
      throw new TypeError(
        `task '${this.name}': a generation task needs a generation runner_config`,
      );
    this.target = runner.num_outputs_to_generate;
    this.seedBatchSize = seedBatchSizeOf(runner);
    this.machineBatchSize = runner.machine_batch_size;
  }

  override async open(): Promise<void> {
    await super.open();
    const cp = this.checkpoint;
    if (cp.batches !== undefined && cp.draws !== undefined) {
      // Continue the interrupted run's batch sequence (see TaskCheckpoint.batches).
      this.runStart = 0;
      this.batchesDrawn = cp.batches;
      this.drawsBefore = cp.draws;
      this.acceptedHistory = this.resumed
        ? await readAcceptedHistory(this.file_("dataloader_state.jsonl"))
        : new Map([[0, 0]]);
    } else this.runStart = cp.data_rows;
    const seeds = await createDatastore(this.init.registry, this.seedStoreConfig());
    const dl = this.spec.dataloader ?? { type: "default" };
    // Seeds loop unless the task says `loop_over: false`, whatever the loader type's own default
    // (DiGiT's generation default; DiGiT stopped looping whenever a dataloader was given).
    const config = derivedFrom({ ...dl, loop_over: dl.loop_over ?? true, datastore: seeds }, dl);
    this.loader = await createDataloader(this.init.registry, config);
    if (!this.restart)
      this.loader.setState({
        iter_index: this.checkpoint.iter_index,
        row_index: this.checkpoint.row_index,
      });
  }

  isComplete(): boolean {
    return this.accepted.length >= this.target;
  }

  /** The seed store: `seed_datastore` (type default unless given) holding `seed_examples`. */
  private seedStoreConfig(): DatastoreConfig {
    return {
      type: "default",
      ...this.spec.seed_datastore,
      store_name: `${this.storeName}/seed_data`,
      data: this.spec.seed_examples ?? [],
    };
  }

  /** Only `num_outputs_to_generate` records go into final data (extra ones stay in `data`). */
  override finalCount(): number {
    return Math.min(this.accepted.length, this.target);
  }

  /**
   * Records accepted once `draws` builder batches of the task were committed, in this run or one
   * before it; undefined when not known (a batch of this run not committed yet, or an old folder).
   */
  acceptedAfterDraws(draws: number): number | undefined {
    return this.acceptedHistory.get(Math.max(0, draws));
  }

  protected override freshCounters(): Partial<TaskCheckpoint> {
    return { batches: 0, draws: 0, accepted: 0 };
  }

  /** The index the next batch drawn will have (batches are numbered per task, from 0, in each run). */
  get nextBatchIndex(): number {
    return this.batchesDrawn;
  }

  /**
   * Fix what the next batch may sample machine examples from: the first `prefix` accepted
   * records. The engine passes a count that does not depend on how builder calls overlap in time
   * (the records of this task's batches that are certainly committed), so the batch is the same
   * in every run with the same seed.
   */
  planBatch(prefix: number): void {
    this.machinePrefix = prefix;
  }

  /**
   * The next batch: `seed_batch_size` seeds (continuing across the end of the seed list, never a
   * short batch, never one seed twice in a batch) followed by up to `machine_batch_size` records
   * made earlier, sampled at random (from the records `planBatch` allows). Each row carries a
   * draw key (see `drawKey`) made of the task, the batch index and the row's place in the batch.
   */
  async nextBatch(): Promise<InputBatch> {
    const { key: batchKey, pool } = this.beginBatch();
    const rows: Row[] = [];
    // Seeds are told apart by their position in the seed store (loaders may return fresh objects).
    const seen = new Set<string>();
    let ends = 0;
    while (rows.length < this.seedBatchSize && ends < 2) {
      const seed = await this.loader.next();
      if (seed === undefined) {
        ends++;
        if (!this.loopsSeeds()) break;
        continue;
      }
      const at = this.loader.getState();
      const key = `${at.iter_index}:${at.row_index}`;
      if (seen.has(key)) break;
      seen.add(key);
      rows.push({ ...this.instantiateInput(seed), task_name: this.name, is_seed: true });
      ends = 0;
    }
    const machine =
      pool.length <= this.machineBatchSize
        ? pool
        : new Random(`${batchKey}:machine`).sample(pool, this.machineBatchSize);
    for (const m of machine) rows.push({ ...m, task_name: this.name, is_seed: false });
    for (let i = 0; i < rows.length; i++) rows[i]![DRAW_KEY] = drawKey(batchKey, i);
    return { rows, position: this.loader.getState() };
  }

  /**
   * Start a new batch of this task: its key (task seed, run, batch index) and the accepted records
   * it may sample from (as fixed by `planBatch`).
   */
  private beginBatch(): { key: string; pool: Row[] } {
    const key = `${this.drawSalt}:${this.runStart}:${this.batchesDrawn++}`;
    const prefix = Math.min(this.machinePrefix ?? this.accepted.length, this.accepted.length);
    this.machinePrefix = undefined;
    this.prefixes.set(key, prefix);
    // Only batches still in flight look their prefix up again: keep the latest ones.
    if (this.prefixes.size > PREFIXES_KEPT)
      this.prefixes.delete(this.prefixes.keys().next().value!);
    return { key, pool: this.accepted.examples(prefix) };
  }

  /**
   * Draw keys for a new batch of `count` rows the builder makes itself (e.g. blank conversations),
   * so its draws (`DataBuilder.rngFor`, `sampleExamples(k, f, row)`) repeat with the seed.
   */
  drawKeys(count: number): string[] {
    const { key } = this.beginBatch();
    return Array.from({ length: count }, (_, i) => drawKey(key, i));
  }

  private loopsSeeds(): boolean {
    return this.loader.config.loop_over === true; // a custom loader's schema may lack the key
  }

  /** All seed examples (read once), as builder input rows. */
  async seedExamples(): Promise<Row[]> {
    if (!this.seedCache) {
      const store = await createDatastore(this.init.registry, this.seedStoreConfig());
      this.seedCache = (await store.readAll()).map((r) => ({
        ...this.instantiateInput(r),
        task_name: this.name,
        is_seed: true,
      }));
    }
    return this.seedCache;
  }

  /**
   * `k` examples for in-context learning, split between seeds and machine records by
   * `seed_fraction` (default: the ratio of the two batch sizes), without touching the main loop.
   *
   * Called without `forRow` (e.g. from a builder's `nextBatch`), it starts a new batch: the rows
   * carry draw keys. Called with a row of a batch (e.g. inside `call`), it draws for that row's
   * batch. Either way the draw depends only on the seed and the batch, not on timing.
   */
  async sampleExamples(k: number, seedFraction?: number, forRow?: Row): Promise<Row[]> {
    if (seedFraction !== undefined && (seedFraction < 0 || seedFraction > 1))
      throw new RangeError(`seed_fraction must be in [0.0, 1.0], got ${seedFraction}`);
    const total = this.seedBatchSize + this.machineBatchSize;
    const fraction = seedFraction ?? (total === 0 ? 0 : this.seedBatchSize / total);
    const nSeed = roundHalfEven(k * fraction);
    const seeds = await this.seedExamples();
    const rowKey = forRow === undefined ? undefined : rowDrawKey(forRow);
    const batch =
      rowKey === undefined
        ? forRow === undefined
          ? this.beginBatch()
          : undefined
        : { key: rowKey, pool: this.accepted.examples(this.prefixes.get(batchKeyOf(rowKey))) };
    const rng = batch ? new Random(`${batch.key}|examples`) : this.rng;
    const pool = batch?.pool ?? this.accepted.examples();
    const pickedSeeds = nSeed < seeds.length ? rng.sample(seeds, nSeed) : seeds;
    const synth = rng.sample(pool, Math.min(k - nSeed, pool.length));
    const rows = [...pickedSeeds, ...synth.map((r) => ({ ...r, is_seed: false }))];
    if (forRow !== undefined || !batch) return rows;
    return rows.map((r, i) => ({ ...r, [DRAW_KEY]: drawKey(batch.key, i) }));
  }
}

/**
 * Batch prefixes a task remembers (for `sampleExamples(k, f, row)` on a batch in flight): far more
 * than the builder calls that can be in flight at once.
 */
const PREFIXES_KEPT = 4096;

/** The batch part of a row's draw key (the key without the row's place). */
function batchKeyOf(rowKey: string): string {
  const at = rowKey.lastIndexOf(":");
  return at < 0 ? rowKey : rowKey.slice(0, at);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
