import type { Block } from "../../blocks/block.js";
import { createBlock } from "../../blocks/create.js";
import type { PreviewResult } from "../../builders/databuilder.js";
import { prepareEnvironment } from "../../config/env.js";
import { type PlannedGroup, type PlannedTask, planRun, type RunPlan } from "../../engine/plan.js";
import { isDigitError, UsageError } from "../../errors.js";
import { createDatastore } from "../../stores/factory.js";
import { silentLogger } from "../../telemetry/logger.js";
import type { Row } from "../../util/mapping.js";
import { num } from "../option-spec.js";
import { printError } from "../print-error.js";
import { outputWidth, table } from "../text-table.js";
import { taskRunOptions } from "./run-options.js";

/**
 * `digit preview <task> -n 10`: make the first records of each task in memory, as `digit run`
 * with the same `--seed` would make them, and print them (a table per record, or `--json`). The
 * output folder is never touched; models are called as in a run (use the mock provider or
 * `digit fake-llm` to preview offline). Builders that have no preview are refused.
 *
 * @example
 * process.exitCode = await previewCommand(["tasks/core/columns/customer_support/task.yaml"], { numRecords: 5, json: true });
 */
export async function previewCommand(
  positional: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const cwd = process.cwd();
  if (typeof opts.dataDir === "string") process.env.DGT_DATA_DIR = opts.dataDir;
  prepareEnvironment(cwd);
  const count = num(opts.numRecords) ?? 10;
  try {
    const plan = await planRun({ ...taskRunOptions(positional, opts, cwd), logger: silentLogger });
    for (const group of plan.groups) {
      for (const task of group.tasks) {
        const result = await previewTask(plan, group, task, count, num(opts.seed) ?? 0);
        process.stdout.write(
          opts.json === true
            ? `${JSON.stringify({ task: task.spec.task_name, ...result })}\n`
            : render(String(task.spec.task_name), result),
        );
      }
    }
    return 0;
  } catch (e) {
    if (!isDigitError(e)) throw e;
    printError(e.format());
    return 1;
  }
}

async function previewTask(
  plan: RunPlan,
  group: PlannedGroup,
  task: PlannedTask,
  count: number,
  seed: number,
): Promise<PreviewResult> {
  const preview = group.cls.preview;
  if (!preview) {
    throw new UsageError(
      `task '${String(task.spec.task_name)}': builder '${group.builderName}' has no preview`,
      {
        file: task.file,
        hint: "digit preview works with core/columns tasks; use digit run --num-outputs-to-generate with a scratch --output-dir for others",
      },
    );
  }
  const blocks = new Map<string, Block>();
  try {
    for (const cfg of group.config.blocks as Row[]) {
      const b = await createBlock(
        plan.registry,
        cfg,
        { builderName: group.builderName, logger: silentLogger },
        `builder '${group.builderName}'`,
      );
      blocks.set(b.name, b);
    }
    return await preview({
      builderName: group.builderName,
      config: group.config,
      spec: task.spec,
      file: task.file,
      blocks,
      seed,
      seeds: await readSeeds(plan, task),
      inputs: await readInputs(plan, task, count),
      count,
      createBlock: (config, where) =>
        createBlock(
          plan.registry,
          config,
          { builderName: group.builderName, logger: silentLogger },
          where,
        ),
      registry: plan.registry,
    });
  } finally {
    for (const b of blocks.values()) await b.close().catch(() => undefined);
  }
}

/** The task's seed records, read without an output folder (nothing is written). */
async function readSeeds(plan: RunPlan, task: PlannedTask): Promise<Row[]> {
  const store = await createDatastore(plan.registry, {
    type: "default",
    ...((task.spec.seed_datastore as Row | undefined) ?? {}),
    store_name: `${String(task.spec.task_name)}/seed_data`,
    data: (task.spec.seed_examples as Row[] | undefined) ?? [],
  });
  return store.readAll();
}

/** The first `count` input records of a transformation task. */
async function readInputs(plan: RunPlan, task: PlannedTask, count: number): Promise<Row[]> {
  const data = task.spec.data;
  if (data == null) return [];
  if (Array.isArray(data)) return (data as Row[]).slice(0, count);
  const store = await createDatastore(plan.registry, {
    type: "default",
    ...(data as Row),
    store_name: `${String(task.spec.task_name)}/transformation_data`,
  });
  return (await store.readAll()).slice(0, count);
}

/** One table per record: every column, dropped ones marked; then the refused records. */
function render(taskName: string, result: PreviewResult): string {
  const width = outputWidth();
  const dropped = new Set(result.dropped);
  const parts = [
    `${taskName}: ${result.records.length} record${result.records.length === 1 ? "" : "s"}${dropped.size ? ` (* = left out of the output: ${[...dropped].join(", ")})` : ""}`,
  ];
  result.records.forEach((r, i) => {
    const rows = Object.entries(r).map(([k, v]) => [
      dropped.has(k) ? `${k} *` : k,
      typeof v === "string" ? v : JSON.stringify(v),
    ]);
    parts.push(
      `\nrecord ${i + 1}\n${table(["column", "value"], rows, { width, flex: 1, wrap: true })}`,
    );
  });
  for (const x of result.rejected) parts.push(`\nrefused: ${x.reason}`);
  return `${parts.join("\n")}\n`;
}
