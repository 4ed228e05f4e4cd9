/**
 * digit's public API: the toolkit databuilders and plugins import as "digit-sdg" (the package's
 * name on npm; the command is `digit`). The programmatic engine (run, plan, executors) is the
 * subpath "digit-sdg/engine", the tool plugin toolkit (engines, samplers, enrichments, loaders)
 * the subpath "digit-sdg/tools"; everything else in src/ is internal.
 *
 * @example
 * import { registerBlock, ValidatorBlock, ok, reject, z } from "digit-sdg";
 */

/**
 * The zod that digit validates configs with. Plugins extend `configSchema` with it, so they import
 * it from here: a plugin in a user's project then needs no zod of its own, and its schemas are built
 * by the same zod as digit's.
 *
 * @example
 * static override configSchema = baseBlockSchema.extend({ min_chars: z.number().int().default(10) });
 */
export { z } from "zod";
// Blocks, validators and LM providers.
export { Block, type BlockConfigOf, type BlockItem } from "./blocks/block.js";
// What a custom LLM provider block implements `send` with, and its API key and credential.
export { optionalApiKey, requireApiKey } from "./blocks/lm/credentials.js";
export type { Credential } from "./blocks/lm/pool.js";
export {
  type ChatMessage,
  type LMConfig,
  type LMMethod,
  LMProvider,
  type LMRequest,
  type LMResponse,
  lmConfigSchema,
  resultText,
} from "./blocks/lm/provider.js";
export {
  ok,
  reject,
  type Validation,
  ValidatorBlock,
  type ValidatorFields,
} from "./blocks/validator.js";
// Databuilders and what their code works with.
export {
  type DataBuilderClass,
  GenerationDataBuilder,
  type PreviewInit,
  type PreviewResult,
  rowsByTask,
  TransformationDataBuilder,
} from "./builders/databuilder.js";
export type { BuilderSpec, RunnerConfig, TaskSpec } from "./config/schemas.js";
// Errors a plugin throws for its user's mistakes, and the did-you-mean hint for their fix.
export {
  ConfigError,
  DataFileError,
  DigitError,
  type ErrorLocation,
  MissingFileError,
} from "./errors.js";
export { Formatter } from "./formatters/formatter.js";
// Registration: the decorators that name a plugin class for task and builder YAML.
export {
  registerBlock,
  registerDataBuilder,
  registerDataloader,
  registerDatastore,
  registerFormatter,
} from "./registry/decorators.js";
export type { Registry } from "./registry/registry.js";
export { Dataloader, type DataloaderState } from "./stores/dataloader.js";
// Datastores, dataloaders and formatters.
export { Datastore, type RowSource } from "./stores/datastore.js";
export { createDatastore } from "./stores/factory.js";
export type { GenerationTask, InputBatch } from "./tasks/generation-task.js";
export type { Task } from "./tasks/task.js";
export type { TransformationTask } from "./tasks/transformation-task.js";
export type { Logger } from "./telemetry/logger.js";
export type { Span } from "./telemetry/telemetry.js";
export { renderTemplate } from "./templates/template.js";
export { closest, suggestion } from "./util/did-you-mean.js";
export { DRAW_KEY } from "./util/draw-key.js";
// Basic types.
export type { Row } from "./util/mapping.js";
export { Random } from "./util/random.js";
