/**
 * digit's programmatic engine, the package subpath "digit-sdg/engine": plan and run task files
 * from code, as `digit run` does. Plugins and builders need none of it; they import "digit-sdg".
 *
 * @example
 * import { run } from "digit-sdg/engine";
 * const result = await run({ taskPaths: ["tasks/my_task.yaml"], outputDir: "output" });
 */
export { run, runPlan, type RunResult, type TaskOutcome } from "./run.js";
export { planRun, type RunPlan } from "./plan.js";
export type { RunOptions } from "./options.js";
export { RunMetrics, type TaskMetrics } from "./metrics.js";
export { localExecutor, type BatchExecutor } from "./executor.js";
export type { Telemetry, Span } from "../telemetry/telemetry.js";
export type { Logger } from "../telemetry/logger.js";
