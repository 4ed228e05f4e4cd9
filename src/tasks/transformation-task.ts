import { derivedFrom } from "../config/source-map.js";
import { ResumeRefusedError } from "../errors.js";
import type { Dataloader, DataloaderState } from "../stores/dataloader.js";
import { createDataloader, createDatastore } from "../stores/factory.js";
import type { Row } from "../util/mapping.js";
import { storeHasOutput } from "./dropped-records.js";
import type { InputBatch } from "./generation-task.js";
import type { SeedPosition } from "./state-log.js";
import { Task, type TaskInit } from "./task.js";

/** A task that runs once over input records (`data:`), in `transform_batch_size` batches. */
export class TransformationTask extends Task {
  readonly kind = "transformation" as const;
  protected readonly dropsExactDuplicates = false;
  private loader!: Dataloader;
  private exhausted = false;
  /** Turns an input row into the builder's input; `position` is the row's place in the input. */
  instantiateInput: (row: Row, position?: DataloaderState) => Row = (row) => row;

  /** Input rows per builder call (`transform_batch_size`). */
  readonly batchSize: number;

  constructor(init: TaskInit) {
    super(init);
    const runner = init.runnerConfig;
    if (!("transform_batch_size" in runner))
      throw new TypeError(
        `task '${this.name}': a transformation task needs a transformation runner_config`,
      );
    this.batchSize = runner.transform_batch_size;
  }

  /** Rows of the next batch: `batchSize`, unless the engine grows it (see `growsBatches`). */
  nextBatchSize: number | undefined;

  /**
   * A transformation that digit completed last time starts again (DiGiT re-runs them every time).
   * A folder digit's checkpoints do not account for is never cleared this way (see `check`).
   */
  protected override async shouldStartFresh(): Promise<boolean> {
    const results = await this.readLines("task_results.jsonl");
    if (!(results.length > 0 && results[results.length - 1]!.status === "completed")) return false;
    return (await this.stateLog()).kind === "digit";
  }

  /** Refuse a folder with records digit's checkpoints do not account for (see `adoptForeign`). */
  override async check(): Promise<void> {
    if (this.restart) return;
    const state = await this.stateLog();
    if (state.kind === "digit") return;
    const data = await createDatastore(this.init.registry, this.storeConfig("datastore", "data"));
    if (await storeHasOutput(data)) throw this.refusal(data.location, state.kind === "foreign");
  }

  /**
   * Records in the folder that digit's checkpoints do not account for (DiGiT's output, or a data
   * file without a state log): DiGiT saved its input position per batch, not per record, so which
   * inputs these records came from is unknown. Continuing could skip or repeat inputs; refuse.
   */
  protected override async adoptForeign(position: SeedPosition | undefined): Promise<void> {
    throw this.refusal(this.data.location, position !== undefined);
  }

  private refusal(location: string, byDigit: boolean): ResumeRefusedError {
    const why = byDigit
      ? `${location} was written by DiGiT (its dataloader_state.jsonl has no record counts), and a transformation cannot tell which inputs those records came from`
      : `${location} holds records but there is no dataloader_state.jsonl, so which inputs they came from is unknown`;
    return new ResumeRefusedError(this.dir, why);
  }

  override async open(): Promise<void> {
    await super.open();
    const data = this.spec.data;
    const storeConfig = Array.isArray(data)
      ? { type: "default", data }
      : { type: "default", ...data };
    const input = await createDatastore(this.init.registry, {
      ...storeConfig,
      store_name: `${this.storeName}/transformation_data`,
    });
    const dl = this.spec.dataloader ?? { type: "default" };
    this.loader = await createDataloader(
      this.init.registry,
      derivedFrom({ ...dl, loop_over: false, datastore: input }, dl),
    );
    if (!this.restart)
      this.loader.setState({
        iter_index: this.checkpoint.iter_index,
        row_index: this.checkpoint.row_index,
      });
  }

  isComplete(): boolean {
    return this.exhausted;
  }

  /** The next `transform_batch_size` input rows (empty once the input is used up). */
  async nextBatch(): Promise<InputBatch> {
    const rows: Row[] = [];
    const size = this.nextBatchSize ?? this.batchSize;
    while (!this.exhausted && rows.length < size) {
      const positions: DataloaderState[] = [];
      const got = await this.loader.nextBatch(size - rows.length, positions);
      for (let i = 0; i < got.rows.length; i++)
        rows.push({ ...this.instantiateInput(got.rows[i]!, positions[i]), task_name: this.name });
      if (got.end) this.exhausted = true;
    }
    return { rows, position: this.loader.getState() };
  }
}
