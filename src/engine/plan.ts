import { z } from "zod";
import { checkBlockConfig } from "../blocks/create.js";
import type { DataBuilderClass } from "../builders/databuilder.js";
import { discoverTaskFiles } from "../config/discover.js";
import { loadYamlWithIncludes } from "../config/include.js";
import { mergeBuilderConfig } from "../config/merge.js";
import {
  type BuilderSpec,
  baseBuilderShape,
  baseTaskShape,
  generationRunnerConfigSchema,
  type OverrideFile,
  type RunnerConfig,
  type TaskSpec,
  transformationRunnerConfigSchema,
} from "../config/schemas.js";
import { derivedFrom, positionOf, withoutKeys } from "../config/source-map.js";
import { loadOverrideFile, loadTaskSources, type TaskSource } from "../config/tasks.js";
import { parseWith } from "../config/zod-errors.js";
import {
  ConfigError,
  DataFileError,
  DigitError,
  MissingFileError,
  UnknownNameError,
  UnsupportedBuilderError,
} from "../errors.js";
import { Registry } from "../registry/registry.js";
import { unsupportedBuilderError } from "../registry/unsupported-builders.js";
import type { Dataloader } from "../stores/dataloader.js";
import type { DatastoreClass } from "../stores/datastore.js";
import { expandDataPath } from "../stores/default/paths.js";
import type { Logger } from "../telemetry/logger.js";
import { silentLogger } from "../telemetry/logger.js";
import { suggestion } from "../util/did-you-mean.js";
import { isObj, type Obj, type Row } from "../util/mapping.js";
import { undeclaredDataloaderKeys } from "./dataloader-keys.js";
import { readInputData } from "./input-data.js";
import { type RunOptions, runnerOverrides } from "./options.js";
import { checkOutputKeys } from "./output-keys.js";

/** A task ready to run: validated spec and effective runner config (CLI overrides applied). */
export interface PlannedTask {
  spec: TaskSpec;
  file: string | undefined;
  runnerConfig: RunnerConfig;
}

/** A builder and the tasks it serves. */
export interface PlannedGroup {
  builderName: string;
  cls: DataBuilderClass;
  config: BuilderSpec;
  file: string;
  tasks: PlannedTask[];
}

/** A fully validated run. Nothing on disk has been touched to make it. */
export interface RunPlan {
  registry: Registry;
  groups: PlannedGroup[];
  /** The run's spending cap from the `--config-path` file's `budget:` (USD), and that file. */
  budget?: { usd: number; file: string } | undefined;
}

/**
 * Read and check every task, builder, block, datastore and formatter a run needs, in that order,
 * so that any mistake is reported before output is written.
 *
 * @example
 * const plan = await planRun({ taskPaths: ["tasks/public/examples/qa/task.yaml"], namespaces: ["public"] });
 */
export async function planRun(options: RunOptions): Promise<RunPlan> {
  const cwd = options.cwd ?? process.cwd();
  const logger = options.logger ?? silentLogger;
  const registry = await Registry.open({
    namespaces: options.namespaces,
    pluginDirs: options.pluginDirs,
    builderPaths: options.builderPaths,
    cwd,
  });
  const override: OverrideFile = options.configPath ? loadOverrideFile(options.configPath) : {};
  const paths = [...options.taskPaths, ...(override.task_files ?? [])];
  if (paths.length === 0 && !options.configPath) {
    throw new ConfigError("no tasks given", {
      hint: "pass task files or folders: digit run tasks/my_task/task.yaml (or --config-path with task_files)",
    });
  }
  const files = discoverTaskFiles(paths, cwd, (m) => logger.warn(m));
  const sources = loadTaskSources(files, override, (m) => logger.warn(m), options.configPath);
  if (sources.length === 0) {
    throw new ConfigError(
      `no task to run: ${paths.length ? `every task file given is empty (${paths.join(", ")})` : "no task files given, and the override file lists no task_files"}`,
      {
        hint: "a task file needs at least task_name and data_builder; see tasks/public/examples/qa/task.yaml",
      },
    );
  }

  const byBuilder = new Map<string, TaskSource[]>();
  for (const t of sources) {
    const name = String(t.raw.data_builder);
    if (!byBuilder.has(name)) byBuilder.set(name, []);
    byBuilder.get(name)!.push(t);
  }
  const builderOverrides = overridesByBuilder(
    override,
    sources,
    byBuilder,
    registry,
    options.configPath,
    logger,
  );

  const groups: PlannedGroup[] = [];
  for (const builderName of [...byBuilder.keys()].sort()) {
    const tasks = byBuilder.get(builderName)!;
    const first = tasks[0]!;
    const yaml = (() => {
      try {
        return registry.builderYaml(builderName);
      } catch (e) {
        const where = { file: first.file, line: positionOf(first.raw, "data_builder")?.line };
        if (e instanceof UnknownNameError)
          throw new UnknownNameError(
            e.kind,
            e.requested,
            `task '${String(first.raw.task_name)}': ${e.message}`,
            { ...where, hint: e.hint },
          );
        if (e instanceof UnsupportedBuilderError)
          throw unsupportedBuilderError(e.requested, where) ?? e;
        throw e;
      }
    })();
    const loaded = loadYamlWithIncludes(yaml.file, cwd);
    if (!isObj(loaded))
      throw new ConfigError("a builder YAML must be a mapping", { file: yaml.file });
    let config: Obj = loaded;
    for (const ov of builderOverrides.get(builderName) ?? [])
      config = mergeBuilderConfig(config, ov);
    const cls = (await registry.resolve("databuilder", builderName).catch((e: unknown) => {
      if (e instanceof UnknownNameError)
        throw new UnknownNameError(
          e.kind,
          e.requested,
          `builder YAML '${builderName}' has no registered class`,
          {
            file: yaml.file,
            hint: `register one with @registerDataBuilder("${builderName}") in a .ts file next to the YAML`,
          },
        );
      throw e;
    })) as DataBuilderClass;
    // Tasks with `data:` of a builder that also transforms run as a group of their own.
    const variant = cls.transformationVariant;
    const parts: [DataBuilderClass, TaskSource[]][] = variant
      ? [
          [cls, tasks.filter((t) => t.raw.data == null)],
          [variant, tasks.filter((t) => t.raw.data != null)],
        ]
      : [[cls, tasks]];
    for (const [partCls, partTasks] of parts) {
      if (partTasks.length === 0) continue;
      const builderConfig: BuilderSpec = parseWith(
        z.strictObject({ ...baseBuilderShape, ...partCls.configSchema.shape }),
        config,
        `builder '${builderName}'`,
        yaml.file,
      );
      const planned = await Promise.all(
        partTasks.map((t) => planTask(registry, t, partCls, options)),
      );
      const extra = partCls.extraBlocks(
        builderConfig,
        planned.map((p) => p.spec),
        yaml.file,
      );
      const raw: Obj = extra.length
        ? { ...config, blocks: [...((config.blocks as Obj[] | undefined) ?? []), ...extra] }
        : config;
      if (extra.length)
        builderConfig.blocks = [
          ...builderConfig.blocks,
          ...(extra.map((b) => withPositions(b)) as BuilderSpec["blocks"]),
        ];
      await checkBlocks(registry, builderName, builderConfig, partCls, raw, yaml.file, logger);
      partCls.checkConfig(builderConfig, yaml.file);
      for (const t of planned) await partCls.checkTask(t.spec, t.file, builderConfig, registry);
      groups.push({
        builderName,
        cls: partCls,
        config: builderConfig,
        file: yaml.file,
        tasks: planned,
      });
    }
  }
  // Seed files are small: a bad line is found now, not after the output folders are written.
  await readInputData(registry, groups, "seeds");
  const budget =
    override.budget !== undefined && options.configPath
      ? { usd: override.budget, file: options.configPath }
      : undefined;
  return { registry, groups, budget };
}

/**
 * Every `databuilders:` key of the override file must name a builder. DiGiT ignored a key that
 * named nothing (its own openai_chit_chat.yaml keyed the override by a task name, so it silently
 * ran the original model); here that is an error. A real builder that no task of this run uses is
 * only a warning: one override file may serve several runs.
 */
/**
 * The override file's `databuilders:` entries for each builder of the run, in file order. An entry
 * keyed by a task of the run instead (as DiGiT's own `openai_chit_chat.yaml` writes it, with the
 * task's `data_builder` inside; DiGiT ignored it) is applied to that task's builder. An entry
 * naming a builder no task uses is ignored with a warning; an unknown name is an error.
 */
function overridesByBuilder(
  override: OverrideFile,
  sources: TaskSource[],
  byBuilder: Map<string, TaskSource[]>,
  registry: Registry,
  file: string | undefined,
  logger: Logger,
): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  const add = (builder: string, ov: Obj) => out.set(builder, [...(out.get(builder) ?? []), ov]);
  for (const [name, ov] of Object.entries(override.databuilders ?? {})) {
    if (!isObj(ov)) continue; // null: nothing to override
    if (byBuilder.has(name)) {
      add(name, ov);
      continue;
    }
    const where = { file, line: positionOf(override.databuilders, name)?.line };
    const task = sources.find((t) => t.raw.task_name === name);
    if (task) {
      const builder = String(task.raw.data_builder);
      const named = ov.data_builder;
      if (named !== undefined && named !== builder) {
        throw new ConfigError(
          `the override file's 'databuilders' entry '${name}' names builder '${String(named)}', but task '${name}' uses '${builder}'`,
          {
            ...where,
            hint: `key the builder's settings by its name: 'databuilders: {${builder}: ...}'; task settings go under 'tasks:'`,
          },
        );
      }
      add(builder, withoutKeys(ov, ["data_builder"]));
      const others = byBuilder
        .get(builder)!
        .filter((t) => t !== task)
        .map((t) => `'${String(t.raw.task_name)}'`);
      logger.info(
        `the override file's 'databuilders' entry '${name}' is a task: applied to its builder '${builder}'${others.length ? ` (which also runs ${others.join(", ")})` : ""}`,
      );
      continue;
    }
    try {
      registry.builderYaml(name);
    } catch (e) {
      if (e instanceof UnknownNameError)
        throw new UnknownNameError(
          "databuilder",
          name,
          `the override file's 'databuilders' names '${name}': ${e.message}`,
          { ...where, hint: e.hint },
        );
      throw e;
    }
    logger.warn(
      `the override file configures builder '${name}', which no task of this run uses; ignored`,
    );
  }
  return out;
}

async function checkBlocks(
  registry: Registry,
  builderName: string,
  config: BuilderSpec,
  cls: DataBuilderClass,
  raw: Obj,
  file: string,
  logger: Logger,
): Promise<void> {
  const names = new Set<string>();
  for (const b of (raw.blocks as Obj[] | undefined) ?? []) {
    if (!isObj(b))
      throw new ConfigError(`builder '${builderName}': every block must be a mapping`, { file });
    const { dropped } = await checkBlockConfig(registry, b, `builder '${builderName}'`);
    if (dropped.length) {
      logger.debug(
        `block '${String(b.name)}' of builder '${builderName}': the override changed its type to '${String(b.type)}', so keys of the old type are ignored: ${dropped.join(", ")}`,
      );
      const parsed = config.blocks.find((p) => p.name === b.name);
      for (const k of dropped) if (parsed) delete parsed[k];
    }
    const name = String(b.name);
    if (names.has(name))
      throw new ConfigError(`builder '${builderName}' defines block '${name}' twice`, {
        ...positionOf(b, "name"),
        hint: "give every block a unique name",
      });
    names.add(name);
  }
  const missing = cls.blockNames.filter((n) => !names.has(n));
  if (missing.length)
    throw new ConfigError(
      `builder '${builderName}' needs blocks [${missing.join(", ")}], which its YAML does not define`,
      { file, hint: "add them under 'blocks:' (or in the override file)" },
    );
  for (const pp of config.postprocessors) {
    if (!names.has(String(pp.name)))
      throw new ConfigError(
        `postprocessor '${String(pp.name)}' of builder '${builderName}' is not one of its blocks`,
        {
          ...(positionOf(raw.postprocessors, 0) ?? { file }),
          hint: suggestion(String(pp.name), [...names]),
        },
      );
  }
}

async function planTask(
  registry: Registry,
  t: TaskSource,
  cls: DataBuilderClass,
  options: RunOptions,
): Promise<PlannedTask> {
  const name = String(t.raw.task_name);
  const where = `task '${name}'`;
  const spec: TaskSpec = parseWith(
    z.strictObject({ ...baseTaskShape, ...cls.taskSchema.shape }),
    t.raw,
    where,
    t.file,
  );
  checkOutputKeys(t.raw, t.file, { outputDirFromCli: options.outputDir !== undefined });
  const generation = cls.family === "generation";
  // The one place CLI task options enter a task's runner config; the parse applies the defaults.
  // Linked to the task's runner_config so an unknown key there is reported with its line.
  const runnerRaw = derivedFrom(
    { ...cls.defaultRunnerConfig, ...spec.runner_config, ...runnerOverrides(options, cls.family) },
    ...(isObj(t.raw.runner_config) ? [t.raw.runner_config] : []),
  );
  const schema = generation ? generationRunnerConfigSchema : transformationRunnerConfigSchema;
  const runnerConfig: RunnerConfig = parseWith(schema, runnerRaw, `${where} runner_config`, t.file);
  if (!generation && spec.data == null)
    throw new ConfigError(`${where} has no 'data' to transform`, {
      file: t.file,
      hint: "add 'data:' with a list of records or { data_path: file.jsonl }",
    });
  if (generation && spec.data != null)
    throw new ConfigError(
      `${where}: 'data' is for transformation tasks; builder '${String(spec.data_builder)}' generates`,
      {
        file: t.file,
        line: positionOf(t.raw, "data")?.line,
        hint: "use 'seed_examples' or 'seed_datastore'",
      },
    );
  for (const key of [
    "seed_datastore",
    "datastore",
    "final_datastore",
    "formatted_datastore",
    "data",
  ] as const) {
    const ds = spec[key];
    if (!isObj(ds)) continue;
    const type = String(ds.type ?? "default");
    const store = (await registry.resolve("datastore", type).catch((e: unknown) => {
      if (e instanceof UnknownNameError)
        throw new UnknownNameError(e.kind, e.requested, `${where}: ${e.message}`, {
          ...positionOf(ds, "type"),
          file: positionOf(ds, "type")?.file ?? t.file,
          hint: e.hint,
        });
      throw e;
    })) as unknown as DatastoreClass;
    // The store's own schema, now, so a wrong key names its line before any output is written.
    parseWith(store.configSchema, t.raw[key] ?? ds, `${where} ${key}`, t.file);
    await checkDataPath(ds, t.file);
  }
  if (isObj(spec.dataloader)) {
    const loader = (await registry.resolve(
      "dataloader",
      String(spec.dataloader.type ?? "default"),
    )) as unknown as typeof Dataloader;
    const logger = options.logger ?? silentLogger;
    for (const u of undeclaredDataloaderKeys(t.raw.dataloader, loader.configSchema, t.file))
      logger.warn(
        `${u.where}: ${where} dataloader: unknown key '${u.key}' (ignored)` +
          (u.closest ? `; did you mean '${u.closest}'?` : ""),
      );
  }
  if (isObj(spec.formatter)) {
    await registry.resolve("formatter", String(spec.formatter.type)).catch((e: unknown) => {
      if (e instanceof UnknownNameError)
        throw new UnknownNameError(e.kind, e.requested, `${where}: ${e.message}`, {
          ...positionOf(spec.formatter, "type"),
          hint: e.hint,
        });
      throw e;
    });
  }
  if (runnerConfig.save_formatted_output && !spec.formatter) {
    throw new ConfigError(`${where}: save_formatted_output needs a 'formatter'`, {
      file: t.file,
      hint: "add 'formatter: { type: formatters/native, format: {...} }' or drop --save-formatted-output",
    });
  }
  return { spec, file: t.file, runnerConfig };
}

/** Every `data_path` entry must name data now (a file, a folder with data, a glob that matches). */
async function checkDataPath(ds: Obj, file: string | undefined): Promise<void> {
  const paths = ds.data_path;
  const formats = Array.isArray(ds.data_formats) ? ds.data_formats.map(String) : undefined;
  for (const p of typeof paths === "string" ? [paths] : Array.isArray(paths) ? paths : []) {
    if (typeof p !== "string") continue;
    try {
      await expandDataPath(p, formats);
    } catch (e) {
      if (!(e instanceof DigitError)) throw e;
      const at = positionOf(ds, "data_path") ?? { file };
      throw e instanceof MissingFileError
        ? new MissingFileError(p, "data file", {
            ...at,
            hint: "check the path (relative paths are relative to the working directory; ${DGT_DATA_DIR} is 'data' unless set)",
          })
        : new DataFileError(e.message, { ...at, hint: e.hint });
    }
  }
}

/** A shallow copy of a block config that keeps its source positions (for file:line errors). */
function withPositions(b: Row): Row {
  return derivedFrom({ ...b }, b);
}
