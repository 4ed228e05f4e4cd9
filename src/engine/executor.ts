import type { GuardCaps } from "../blocks/lm/spend-guard.js";
import type { SpendLedger } from "../blocks/lm/spend-ledger.js";
import type {
  DataBuilder,
  GenerationDataBuilder,
  TransformationDataBuilder,
} from "../builders/databuilder.js";
import type { PriceTable } from "../telemetry/prices.js";
import type { Row } from "../util/mapping.js";

/**
 * Where builder calls run. The engine's loops decide what to call and commit results in order;
 * an executor only runs one call. `local` runs it in this process; a distributed executor sends
 * it to workers and returns their rows.
 *
 * @example
 * const rows = await executor.generate(builder, 3, batch);
 */
export interface BatchExecutor {
  readonly name: string;
  /** Builder calls in flight per builder when its YAML sets no `max_concurrent_batches` (default 4). */
  readonly width?: number | undefined;
  /**
   * Refuse a builder this executor cannot run (a distributed one: an API key written literally in
   * YAML, which would have to travel through Redis). Called for every builder before any output
   * is touched; throws a DigitError.
   */
  check?(builder: DataBuilder): void;
  /**
   * Where the run's spend is kept, so that every process that sends requests for the run counts
   * it in one place and, under a cap, draws on one budget (a distributed executor: a ledger its
   * workers share). Called once, before any builder call, when a cap is set or prices are
   * readable; without it the spend is kept in this process.
   */
  spendLedger?(budget: { caps: GuardCaps; prices: PriceTable }): SpendLedger;
  generate(builder: GenerationDataBuilder, requestIdx: number, batch: Row[]): Promise<Row[]>;
  transform(builder: TransformationDataBuilder, batch: Row[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** Runs builder calls in this process (the default; needs no infrastructure). */
export const localExecutor: BatchExecutor = {
  name: "local",
  generate: (builder, requestIdx, batch) => builder.call(requestIdx, batch),
  transform: (builder, batch) => builder.call(batch),
  close: async () => {},
};
