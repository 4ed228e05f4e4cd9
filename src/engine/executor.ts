import type {
  DataBuilder,
  GenerationDataBuilder,
  TransformationDataBuilder,
} from "../builders/databuilder.js";
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
