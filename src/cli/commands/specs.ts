import { InvalidArgumentError } from "commander";
import { type OptionSpec, toList } from "../option-spec.js";
import { CACHE_ACTIONS, CACHE_OPTIONS } from "./cache-options.js";
import { FAKE_LLM_OPTIONS } from "./fake-llm-options.js";
import { RUN_OPTIONS } from "./run-options.js";
import { STUDIO_OPTIONS } from "./studio-options.js";
import { WORKER_OPTIONS } from "./worker-options.js";

/** A positional argument of a command. */
export interface ArgumentSpec {
  /** commander syntax: `<name>`, `[name]`, `[names...]`. */
  spec: string;
  description: string;
}

/**
 * A command declared as data: the program, `--help` and docs/cli.md are all built from this
 * table. `action` imports the command's module only when the command runs, so `digit --help`
 * loads none of them.
 *
 * @example
 * { name: "schema", description: "...", args: [], options: SCHEMA_OPTIONS, examples: ["digit schema task"], action: async (args, opts) => (await import("./schema.js")).schemaCommand(String(args[0]), opts) }
 */
export interface CommandSpec {
  name: string;
  description: string;
  args: readonly ArgumentSpec[];
  options: readonly OptionSpec[];
  examples: readonly string[];
  /** Runs the command; returns the exit code. */
  action: (args: unknown[], opts: Record<string, unknown>) => Promise<number>;
}

/** Options that choose what the registry sees (shared by list, describe, schema). */
export const REGISTRY_OPTIONS: readonly OptionSpec[] = [
  {
    flags: "--include-namespaces <names...>",
    key: "includeNamespaces",
    description: "enable more namespaces besides core (e.g. public); comma list or repeated",
    parse: toList,
  },
  {
    flags: "--plugin-dir <dir>",
    key: "pluginDir",
    description: "extra plugin folder (./plugins is always scanned); repeatable",
    parse: toList,
  },
  {
    flags: "--include-builder-paths <paths...>",
    key: "includeBuilderPaths",
    description: "extra builder YAML files or folders",
  },
];

/** The kinds `digit list` knows, and the registry kind each one means. */
export const LIST_KINDS = {
  builders: "databuilder",
  blocks: "block",
  datastores: "datastore",
  dataloaders: "dataloader",
  formatters: "formatter",
} as const;

export const LIST_OPTIONS: readonly OptionSpec[] = [
  ...REGISTRY_OPTIONS,
  {
    flags: "--enabled",
    key: "enabled",
    description: "show only names usable with the enabled namespaces",
  },
  {
    flags: "--json",
    key: "json",
    description:
      "print JSON lines with the full text instead of a table fitted to the terminal width (100 columns, or $COLUMNS, when not a terminal)",
  },
];

/** The kinds `digit describe` knows (see commands/describe.ts). */
export const DESCRIBE_KINDS = ["block", "builder", "datastore", "dataloader", "formatter"] as const;

export const DESCRIBE_OPTIONS: readonly OptionSpec[] = [
  ...REGISTRY_OPTIONS,
  {
    flags: "--kind <kind>",
    key: "kind",
    description:
      "describe only this kind of thing (a name like 'default' is both a datastore and a dataloader)",
    choices: DESCRIBE_KINDS,
  },
  {
    flags: "--json",
    key: "json",
    description:
      "print the config JSON Schema instead of tables (a builder: its builder YAML, task YAML and runner_config schemas)",
  },
];

export const SCHEMA_OPTIONS: readonly OptionSpec[] = [
  {
    flags: "--out-dir <dir>",
    key: "outDir",
    description:
      "write the files (task.schema.json, builder.schema.json, override.schema.json, or only the one named) to this folder instead of printing",
  },
  {
    flags: "--check",
    key: "check",
    description: "with --out-dir: write nothing; exit 1 if the files there are not up to date",
  },
  ...REGISTRY_OPTIONS,
];

export const BATCHES_OPTIONS: readonly OptionSpec[] = [
  {
    flags: "--journal <file>",
    key: "journal",
    description:
      "the batch journal (default $DGT_BATCH_JOURNAL, else batches.jsonl in $DGT_CACHE_DIR)",
  },
  { flags: "--pending", key: "pending", description: "list: only batches that have not ended" },
  { flags: "--all", key: "all", description: "cancel: every batch that has not ended" },
  { flags: "--json", key: "json", description: "list: JSON lines instead of a table" },
];

/** `digit validate` takes the options of `digit run`, so CI can check the exact command line it will run. */
export const VALIDATE_OPTIONS: readonly OptionSpec[] = RUN_OPTIONS.filter(
  (o) => !["quiet", "logFormat", "rayAddress"].includes(o.key),
);

/** `digit estimate` takes the task options of `digit run`, plus the pilot size. */
export const ESTIMATE_OPTIONS: readonly OptionSpec[] = [
  ...RUN_OPTIONS.filter((o) =>
    [
      "taskPaths",
      "configPath",
      "includeNamespaces",
      "pluginDir",
      "includeBuilderPaths",
      "numOutputsToGenerate",
      "seedBatchSize",
      "machineBatchSize",
      "dataDir",
      "seed",
    ].includes(o.key),
  ),
  {
    flags: "--pilot <k>",
    key: "pilot",
    description: "records per task of the pilot run against the fake LLM server (default 5)",
    integer: { min: 1 },
  },
  {
    flags: "--calls-per-record <n>",
    key: "callsPerRecord",
    description: "LLM requests per record, declared instead of measured by the pilot",
    parse: positiveNumber,
  },
  { flags: "--json", key: "json", description: "print JSON instead of a table" },
];

/** Parse a number greater than 0. */
function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError("expected a number greater than 0, e.g. 1.5");
  return n;
}

/** `digit preview` takes the task options of `digit run` (not those that only affect writing). */
export const PREVIEW_OPTIONS: readonly OptionSpec[] = [
  {
    flags: "-n, --num-records <n>",
    key: "numRecords",
    description: "records to make per task (default 10)",
    integer: { min: 1 },
  },
  {
    flags: "--json",
    key: "json",
    description:
      "print one JSON line per task ({task, records, dropped, rejected}) instead of tables",
  },
  ...RUN_OPTIONS.filter((o) =>
    [
      "taskPaths",
      "configPath",
      "includeNamespaces",
      "includeBuilderPaths",
      "pluginDir",
      "dataDir",
      "seed",
    ].includes(o.key),
  ),
];

/** Every command of `digit`, in help order. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "run",
    description: "generate or transform data for the given task files, folders or globs",
    args: [
      {
        spec: "[tasks...]",
        description: "task YAML files, folders (every task.yaml/qna.yaml below) or quoted globs",
      },
    ],
    options: RUN_OPTIONS,
    examples: [
      "digit run tasks/public/examples/qa/task.yaml --include-namespaces public --config-path configs/mock/public/examples/qa.yaml",
      "digit run tasks/ --include-namespaces public --num-outputs-to-generate 500 --output-dir out",
    ],
    action: async (args, opts) => (await import("./run.js")).runCommand(args[0] as string[], opts),
  },
  {
    name: "worker",
    description:
      "run builder calls for `digit run --executor redis://...` coordinators until stopped (SIGTERM/SIGINT)",
    args: [
      { spec: "<redis-url>", description: "the coordinator's Redis, e.g. redis://127.0.0.1:6379" },
    ],
    options: WORKER_OPTIONS,
    examples: ["digit worker redis://127.0.0.1:6379 --concurrency 4 --include-namespaces public"],
    action: async (args, opts) =>
      (await import("./worker.js")).workerCommand(String(args[0]), opts),
  },
  {
    name: "preview",
    description:
      "make the first records of core/columns tasks in memory and print them, as `run` with the same --seed would make them; writes nothing",
    args: [{ spec: "[tasks...]", description: "task YAML files, folders or quoted globs" }],
    options: PREVIEW_OPTIONS,
    examples: [
      "digit preview tasks/core/columns/customer_support/task.yaml -n 5 --config-path configs/mock/core/columns/customer_support.yaml",
      "digit preview my_task.yaml --json",
    ],
    action: async (args, opts) =>
      (await import("./preview.js")).previewCommand(args[0] as string[], opts),
  },
  {
    name: "validate",
    description:
      "check task files, builders, blocks, stores, plugins and seed/input data files as `run` would, without writing anything (exit code 0 = valid)",
    args: [{ spec: "[tasks...]", description: "task YAML files, folders or quoted globs" }],
    options: VALIDATE_OPTIONS,
    examples: ["digit validate tasks/public/examples/qa/task.yaml --include-namespaces public"],
    action: async (args, opts) =>
      (await import("./validate.js")).validateCommand(args[0] as string[], opts),
  },
  {
    name: "list",
    description:
      "list registered builders, blocks, datastores, dataloaders or formatters (reads source files, imports none)",
    args: [{ spec: "<kind>", description: `one of: ${Object.keys(LIST_KINDS).join(", ")}` }],
    options: LIST_OPTIONS,
    examples: ["digit list blocks", "digit list builders --include-namespaces public"],
    action: async (args, opts) => (await import("./list.js")).listCommand(String(args[0]), opts),
  },
  {
    name: "describe",
    description:
      "show a block type, builder, datastore, dataloader or formatter: every config key with its type, default and description (a builder: its blocks, builder YAML keys and the task keys it accepts)",
    args: [
      {
        spec: "<name>",
        description:
          "a block type (as after `type:` in builder YAML), a builder name (a task's data_builder), or a datastore, dataloader or formatter type",
      },
    ],
    options: DESCRIBE_OPTIONS,
    examples: [
      "digit describe rouge_scorer",
      "digit describe public/examples/geography_qa",
      "digit describe default --kind datastore",
      "digit describe openai --json",
    ],
    action: async (args, opts) =>
      (await import("./describe.js")).describeCommand(String(args[0]), opts),
  },
  {
    name: "schema",
    description:
      "print the JSON Schema of task YAML, builder YAML or override files (--config-path), for editor completion and checks; --out-dir writes them as files",
    args: [
      {
        spec: "[schema]",
        description:
          "task, builder or override (needed unless --out-dir is given, which then writes all three)",
      },
    ],
    options: SCHEMA_OPTIONS,
    examples: [
      "digit schema task > task.schema.json",
      "digit schema --out-dir schemas --plugin-dir plugins",
      "digit schema --out-dir schemas --check",
    ],
    action: async (args, opts) =>
      (await import("./schema.js")).schemaCommand(
        args[0] === undefined ? undefined : String(args[0]),
        opts,
      ),
  },
  {
    name: "estimate",
    description:
      "what a run of these tasks would send and cost (tokens and USD per task, as a range), from a pilot against the fake LLM server; nothing is paid or written",
    args: [
      { spec: "[tasks...]", description: "task YAML files, folders or quoted globs (as for run)" },
    ],
    options: ESTIMATE_OPTIONS,
    examples: [
      "digit estimate tasks/public/examples/qa/task.yaml --include-namespaces public --num-outputs-to-generate 1000",
      "digit run tasks/ --dry-run",
    ],
    action: async (args, opts) =>
      (await import("./estimate.js")).estimateCommand(args[0] as string[], opts),
  },
  {
    name: "cache",
    description:
      "show what the LLM response cache holds, or delete old or all of its answers (see docs/cache.md)",
    args: [{ spec: "<action>", description: `one of: ${CACHE_ACTIONS.join(", ")}` }],
    options: CACHE_OPTIONS,
    examples: [
      "digit cache stats",
      "digit cache prune --older-than 30d",
      "digit cache clear --cache-dir .cache/digit",
    ],
    action: async (args, opts) => (await import("./cache.js")).cacheCommand(String(args[0]), opts),
  },
  {
    name: "batches",
    description:
      "list the provider batches (OpenAI, Azure OpenAI, Anthropic) that runs with execution: batch submitted, or cancel them",
    args: [
      { spec: "<action>", description: "list or cancel" },
      { spec: "[ids...]", description: "cancel: batch ids (the provider's or digit's dgb_ ids)" },
    ],
    options: BATCHES_OPTIONS,
    examples: [
      "digit batches list --pending",
      "digit batches cancel batch_6823c4e1",
      "digit batches cancel --all",
    ],
    action: async (args, opts) =>
      (await import("./batches.js")).batchesCommand(
        String(args[0]),
        (args[1] as string[] | undefined) ?? [],
        opts,
      ),
  },
  {
    name: "fake-llm",
    description:
      "run a fake LLM server on 127.0.0.1 (OpenAI, Anthropic, Ollama, watsonx APIs) for dry runs and CI; its default answers suit every bundled example",
    args: [],
    options: FAKE_LLM_OPTIONS,
    examples: [
      "digit fake-llm --latency-ms 200",
      "digit fake-llm --port 0 --script fake.yaml",
      "digit fake-llm --failure-rate 0.1 --failure-kinds 500,429,hang",
    ],
    action: async (_args, opts) => (await import("./fake-llm.js")).fakeLLMCommand(opts),
  },
  {
    name: "studio",
    description:
      "look at an output folder in the browser: runs, tasks, records, rejects, live progress, two runs compared (serves 127.0.0.1, read-only, opens nothing)",
    args: [{ spec: "[output-dir]", description: "the output folder (default: output)" }],
    options: STUDIO_OPTIONS,
    examples: ["digit studio output", "digit studio out --port 0"],
    action: async (args, opts) =>
      (await import("./studio.js")).studioCommand(
        args[0] === undefined ? "output" : String(args[0]),
        opts,
      ),
  },
];
