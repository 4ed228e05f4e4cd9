import { relative } from "node:path";
import type { Block } from "../../blocks/block.js";
import { createBlock } from "../../blocks/create.js";
import { discoverTaskFiles } from "../../config/discover.js";
import { prepareEnvironment } from "../../config/env.js";
import { readInputData } from "../../engine/input-data.js";
import type { RunOptions } from "../../engine/options.js";
import { planRun, type RunPlan } from "../../engine/plan.js";
import { ConfigError, type DigitError, isDigitError } from "../../errors.js";
import type { FormatterClass } from "../../formatters/formatter.js";
import { type Logger, silentLogger } from "../../telemetry/logger.js";
import { printError } from "../print-error.js";
import { taskRunOptions } from "./run-options.js";

/** The run options `digit validate` checks with (the subset of `digit run`'s that affects checking). */
export function validateOptions(
  positional: string[],
  opts: Record<string, unknown>,
  cwd: string,
): RunOptions {
  return { ...taskRunOptions(positional, opts, cwd), logger: silentLogger };
}

/**
 * Construct every block and formatter of a plan (as `run` would, so settings that are only checked
 * by constructors — API keys, files, templates — are checked too), then release them.
 */
export async function constructAll(plan: RunPlan): Promise<void> {
  for (const group of plan.groups) {
    for (const cfg of group.config.blocks) {
      let block: Block | undefined;
      try {
        block = await createBlock(
          plan.registry,
          cfg,
          { builderName: group.builderName, logger: silentLogger, validating: true },
          `builder '${group.builderName}'`,
        );
      } catch (e) {
        if (isDigitError(e)) throw e;
        throw new ConfigError(
          `block '${String(cfg.name)}' (type ${String(cfg.type)}) of builder '${group.builderName}' cannot be created: ${e instanceof Error ? e.message : String(e)}`,
          {
            file: group.file,
            hint: "fix the block's settings in the builder YAML or the override file",
            cause: e,
          },
        );
      }
      await block.close().catch(() => undefined);
    }
    for (const t of group.tasks) {
      const f = t.spec.formatter;
      if (!f) continue;
      const type = f.type;
      const F = (await plan.registry.resolve("formatter", type)) as unknown as FormatterClass;
      try {
        new F(f, { file: t.file });
      } catch (e) {
        if (isDigitError(e)) throw e;
        throw new ConfigError(
          `formatter '${String(type)}' of task '${String(t.spec.task_name)}' cannot be created: ${e instanceof Error ? e.message : String(e)}`,
          { file: t.file, hint: "fix the formatter's settings" },
        );
      }
    }
  }
}

/**
 * `digit validate <tasks...>`: every check `digit run` makes before it writes anything — YAML,
 * schemas, names, files, plugins, block construction — plus reading every seed and input data
 * file to its end (a bad line is reported with file and line), and nothing else. Each task file is
 * checked on its own first (so one broken file does not hide the others), then all together
 * (duplicate names, shared builders). Exit code 0 when everything is valid, 1 otherwise.
 *
 * @example
 * process.exitCode = await validateCommand(["tasks/"], { includeNamespaces: ["public"] });
 */
export async function validateCommand(
  positional: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const cwd = process.cwd();
  if (typeof opts.dataDir === "string") process.env.DGT_DATA_DIR = opts.dataDir;
  prepareEnvironment(cwd);
  // The plan's warnings (e.g. a dataloader key its type ignores), each shown once on success.
  const warnings = new Set<string>();
  const options = { ...validateOptions(positional, opts, cwd), logger: warningsInto(warnings) };
  const errors: DigitError[] = [];
  const dataRead = new Set<string>();
  const check = async (o: RunOptions): Promise<RunPlan | undefined> => {
    try {
      const plan = await planRun(o);
      await constructAll(plan);
      await readInputData(plan.registry, plan.groups, "inputs", dataRead);
      return plan;
    } catch (e) {
      if (!isDigitError(e)) throw e;
      if (!errors.some((x) => x.format() === e.format())) errors.push(e);
      return undefined;
    }
  };

  let files: string[] = [];
  if (!options.configPath && options.taskPaths.length) {
    try {
      files = discoverTaskFiles(options.taskPaths, cwd, () => {});
    } catch (e) {
      if (!isDigitError(e)) throw e;
      errors.push(e);
    }
  }
  if (files.length > 1) for (const f of files) await check({ ...options, taskPaths: [f] });
  let plan: RunPlan | undefined;
  if (errors.length === 0) plan = await check(options);

  for (const e of errors) printError(e.format());
  if (errors.length || !plan) {
    process.stderr.write(`${errors.length} problem${errors.length === 1 ? "" : "s"} found\n`);
    return 1;
  }
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  const tasks = plan.groups.flatMap((g) =>
    g.tasks.map((t) => `${String(t.spec.task_name)}${t.file ? ` (${relative(cwd, t.file)})` : ""}`),
  );
  process.stdout.write(
    `ok: ${tasks.length} task${tasks.length === 1 ? "" : "s"} and ${plan.groups.length} builder${plan.groups.length === 1 ? "" : "s"} are valid\n${tasks.map((t) => `  ${t}`).join("\n")}\n`,
  );
  return 0;
}

/** A logger that keeps the warn messages it gets in `into` and drops the rest. */
function warningsInto(into: Set<string>): Logger {
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => void into.add(message),
    error: () => undefined,
    child: () => logger,
  };
  return logger;
}
