/**
 * digit's public API: what databuilders and plugins import as "digit-sdg" (the package's name on
 * npm; the command is `digit`).
 *
 * @example
 * import { registerBlock, ValidatorBlock, ok, reject, z } from "digit-sdg";
 */
/**
 * The zod that digit validates configs with. Plugins extend `configSchema` with it, so they import
 * it from here: a plugin in a user's project then needs no zod of its own, and its schemas are built
 * by the same zod as digit's.
 */
export { z } from "zod";
export * from "./errors.js";
export { registerBlock, registerDataBuilder, registerDataloader, registerDatastore, registerFormatter } from "./registry/decorators.js";
export { Registry, type RegistryOptions } from "./registry/registry.js";
export { Block, BlockInputError, baseBlockConfigSchema, type BlockClass, type BlockConfig, type BlockContext, type BlockFields, type BlockItem, type CallOptions, type RejectSink } from "./blocks/block.js";
export { type Row } from "./util/mapping.js";
export { ValidatorBlock, ok, reject, type Validation, type ValidatorFields } from "./blocks/validator.js";
export { createBlock, checkBlockConfig } from "./blocks/create.js";
export { getPath, setPath, MISSING } from "./util/paths.js";
export { LMProvider, lmConfigSchema, resultText, GENERATION_PARAMETERS, type ChatMessage, type LMMethod, type LMRequest, type LMResponse } from "./blocks/lm/provider.js";
export { Datastore, type DatastoreConfig, type RowSource } from "./stores/datastore.js";
export { Dataloader, type DataloaderConfig, type DataloaderState } from "./stores/dataloader.js";
export { createDatastore, createDataloader } from "./stores/factory.js";
export type { Telemetry, ScopedTelemetry, Span, Attributes } from "./telemetry/telemetry.js";
export type { Logger, LogFields } from "./telemetry/logger.js";
export type { RunObserver, LlmCallReport } from "./telemetry/observer.js";
export { DataBuilder, GenerationDataBuilder, rowsByTask, TransformationDataBuilder, type BuilderInit, type DataBuilderClass } from "./builders/databuilder.js";
export { checkTemplate, renderTemplate, type TemplateSource } from "./templates/template.js";
export { Task, type TaskStatus } from "./tasks/task.js";
export { GenerationTask, type InputBatch } from "./tasks/generation-task.js";
export { TransformationTask } from "./tasks/transformation-task.js";
export { recordId } from "./tasks/record-id.js";
export { Formatter, type FormatterClass, type FormatterOrigin } from "./formatters/formatter.js";
export { run, runPlan, type RunResult, type TaskOutcome } from "./engine/run.js";
export { planRun, type RunPlan } from "./engine/plan.js";
export type { RunOptions } from "./engine/options.js";
export { RunMetrics, type TaskMetrics } from "./engine/metrics.js";
export { Random } from "./util/random.js";
export { DRAW_KEY, rowDrawKey, rowRandom } from "./util/draw-key.js";
export { localExecutor, type BatchExecutor } from "./engine/executor.js";
