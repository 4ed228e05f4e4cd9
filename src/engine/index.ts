/**
 * digit's programmatic engine, the package subpath "digit-sdg/engine": plan and run task files
 * from code, as `digit run` does. Plugins and builders need none of it; they import "digit-sdg".
 *
 * @example
 * import { run } from "digit-sdg/engine";
 * const result = await run({ taskPaths: ["tasks/my_task.yaml"], outputDir: "output" });
 */

export type { Logger } from "../telemetry/logger.js";
export type { Span, Telemetry } from "../telemetry/telemetry.js";
export { type BatchExecutor, localExecutor } from "./executor.js";
export { RunMetrics, type TaskMetrics } from "./metrics.js";
export type { RunOptions } from "./options.js";
export { planRun, type RunPlan } from "./plan.js";
export { type RunResult, run, runPlan, type TaskOutcome } from "./run.js";
