import { relative } from "node:path";
import { z } from "zod";
import { type BlockClass, baseBlockConfigSchema } from "../../blocks/block.js";
import type { DataBuilderClass } from "../../builders/databuilder.js";
import { loadYamlWithIncludes } from "../../config/include.js";
import {
  baseBuilderShape,
  baseTaskShape,
  generationRunnerConfigSchema,
  transformationRunnerConfigSchema,
} from "../../config/schemas.js";
import { UnknownNameError, UsageError } from "../../errors.js";
import type { Registry } from "../../registry/registry.js";
import type { IndexEntry } from "../../registry/scan.js";
import { suggestion } from "../../util/did-you-mean.js";
import { describeShape, type KeyDescription } from "../describe-keys.js";
import { openRegistry } from "../registry-options.js";
import { outputWidth, table, wrapText } from "../text-table.js";
import type { DESCRIBE_KINDS as KIND_NAMES } from "./specs.js";

/** What `digit describe` can describe, and the registry kind of each. */
export const DESCRIBE_KINDS = {
  block: "block",
  builder: "databuilder",
  datastore: "datastore",
  dataloader: "dataloader",
  formatter: "formatter",
} as const satisfies Record<(typeof KIND_NAMES)[number], string>;
type DescribeKind = keyof typeof DESCRIBE_KINDS;

type Json = Record<string, unknown>;
const OPTIONS = { io: "input", unrepresentable: "any" } as const;

/**
 * `digit describe <name>`: a block type, builder, datastore, dataloader or formatter — its
 * description and every config key with type, default and a one-line description (read from the
 * zod schemas the checks use). A name two kinds share (`default`) is described for each, or for
 * `--kind` only. Every shipped namespace is searched: describing runs nothing.
 *
 * @example
 * process.exitCode = await describeCommand("rouge_scorer", {});
 * process.exitCode = await describeCommand("public/examples/geography_qa", { json: true });
 */
export async function describeCommand(
  name: string,
  opts: Record<string, unknown>,
): Promise<number> {
  const cwd = process.cwd();
  const probe = await openRegistry({}, cwd);
  const given = Array.isArray(opts.includeNamespaces) ? opts.includeNamespaces.map(String) : [];
  const registry = await openRegistry(
    {
      ...opts,
      includeNamespaces: [
        ...new Set([...probe.availableNamespaces.filter((n) => n !== "core"), ...given]),
      ],
    },
    cwd,
  );
  const wanted =
    typeof opts.kind === "string"
      ? [opts.kind as DescribeKind]
      : (Object.keys(DESCRIBE_KINDS) as DescribeKind[]);
  const found = wanted.filter((k) =>
    k === "builder"
      ? registry.builderYamls().some((b) => b.name === name)
      : registry.has(DESCRIBE_KINDS[k], name),
  );
  if (found.length === 0) throw notFound(registry, name, wanted);
  if (opts.json === true && found.length > 1) {
    throw new UsageError(`'${name}' is a ${found.join(" and a ")}: say which with --kind`, {
      hint: `digit describe ${name} --kind ${found[0]} --json`,
    });
  }
  const ctx = { registry, cwd, width: outputWidth() };
  const parts: string[] = [];
  for (const kind of found) {
    if (opts.json === true) {
      process.stdout.write(`${JSON.stringify(await jsonOf(kind, name, ctx), null, 2)}\n`);
      return 0;
    }
    parts.push(
      kind === "block"
        ? await describeBlock(name, ctx)
        : kind === "builder"
          ? await describeBuilder(name, ctx)
          : await describeStoreLike(kind, name, ctx),
    );
  }
  // Tables are fitted already; prose lines (descriptions, notes) are wrapped to the width.
  const text = parts
    .join("\n\n")
    .split("\n")
    .map((l) => (l.length > ctx.width ? wrapText(l, ctx.width).join("\n") : l));
  process.stdout.write(`${text.join("\n")}\n`);
  return 0;
}

interface Ctx {
  registry: Registry;
  cwd: string;
  width: number;
}

const HEADER = ["key", "type", "required", "default", "description"];

/** Keys as a table fitted to the width (the description is cut first). */
function keyTable(keys: readonly KeyDescription[], width: number): string {
  if (keys.length === 0) return "(none)";
  return table(
    HEADER,
    keys.map((k) => [k.key, k.type, k.required ? "yes" : "", k.default, k.description]),
    { width, flex: 4, minFlex: 40, wrap: true },
  ).trimEnd();
}

/** "<kind> 'name' (namespace ns, file)" and the class's description. */
function heading(
  label: string,
  entry: IndexEntry | { namespace: string; file: string; description?: string } | undefined,
  cwd: string,
): string[] {
  const out = [
    `${label}${entry ? ` (namespace ${entry.namespace}, ${rel(cwd, entry.file)})` : ""}`,
  ];
  if (entry?.description) out.push(entry.description);
  return out;
}

function rel(cwd: string, file: string): string {
  const r = relative(cwd, file);
  return r.startsWith("..") ? file : r;
}

function entryOf(registry: Registry, kind: DescribeKind, name: string): IndexEntry | undefined {
  return registry.entries(DESCRIBE_KINDS[kind]).find((e) => e.name === name);
}

async function describeBlock(type: string, { registry, cwd, width }: Ctx): Promise<string> {
  const cls = (await registry.resolve("block", type)) as BlockClass;
  const common = new Set(Object.keys(baseBlockConfigSchema.shape));
  const keys = describeShape({ ...baseBlockConfigSchema.shape, ...cls.configSchema.shape });
  const out = heading(`block type '${type}'`, entryOf(registry, "block", type), cwd);
  out.push(
    "",
    `keys of '${type}':`,
    keyTable(
      keys.filter((k) => !common.has(k.key)),
      width,
    ),
  );
  out.push(
    "",
    "keys every block takes:",
    keyTable(
      keys.filter((k) => common.has(k.key)),
      width,
    ),
  );
  const fields = cls.fields;
  out.push(
    "",
    fields
      ? `row fields: reads/writes ${fields.required.join(", ") || "-"} (required)${fields.optional?.length ? `; ${fields.optional.join(", ")} (optional)` : ""}`
      : "row fields: any (the block sees every field of the row)",
  );
  out.push("map your own field names onto these with input_map / output_map.");
  return out.join("\n");
}

async function describeBuilder(name: string, { registry, cwd, width }: Ctx): Promise<string> {
  const yaml = registry.builderYamls().find((b) => b.name === name)!;
  const cls = (await registry.resolve("databuilder", name)) as DataBuilderClass;
  const entry = entryOf(registry, "builder", name);
  const out = heading(
    `builder '${name}'`,
    { namespace: yaml.namespace, file: yaml.file, description: entry?.description ?? "" },
    cwd,
  );
  if (entry) out.push(`class: ${rel(cwd, entry.file)} (${cls.family})`);
  if (
    !registry.namespaces.has(yaml.namespace) ||
    (yaml.namespace !== "core" && yaml.namespace !== "user")
  )
    out.push(`tasks use it with --include-namespaces ${yaml.namespace}`);

  const config = loadYamlWithIncludes(yaml.file, cwd) as Json;
  const blocks = Array.isArray(config.blocks) ? (config.blocks as Json[]) : [];
  const blockDocs = new Map(registry.entries("block").map((e) => [e.name, e.description]));
  out.push("", "blocks (from the builder YAML):");
  out.push(
    blocks.length
      ? table(
          ["name", "type", "description"],
          blocks.map((b) => [
            String(b.name ?? ""),
            String(b.type ?? ""),
            blockDocs.get(String(b.type)) ?? "",
          ]),
          { width, flex: 2, minFlex: 20 },
        ).trimEnd()
      : "(none)",
  );
  if (cls.blockNames.length)
    out.push(
      `the builder needs blocks named: ${cls.blockNames.join(", ")} (change their type or keys with --config-path databuilders:)`,
    );
  const post = Array.isArray(config.postprocessors)
    ? (config.postprocessors as unknown[]).map((p) =>
        typeof p === "string" ? p : String((p as Json).name),
      )
    : [];
  if (post.length) out.push(`postprocessors: ${post.join(", ")}`);

  const ownBuilder = describeShape(cls.configSchema.shape);
  const baseBuilder = describeShape(baseBuilderShape).filter(
    (k) => !(k.key in cls.configSchema.shape),
  );
  if (ownBuilder.length)
    out.push("", `builder YAML keys of '${name}':`, keyTable(ownBuilder, width));
  out.push("", "builder YAML keys every builder takes:", keyTable(baseBuilder, width));
  const ownTask = describeShape(cls.taskSchema.shape);
  out.push(
    "",
    `task YAML keys of '${name}' (besides the common ones):`,
    ownTask.length ? keyTable(ownTask, width) : "(none)",
  );
  out.push(
    "",
    "task YAML keys every task takes:",
    keyTable(
      describeShape(baseTaskShape).filter((k) => !(k.key in cls.taskSchema.shape)),
      width,
    ),
  );
  out.push(
    "",
    `runner_config keys (${cls.family} tasks):`,
    keyTable(describeShape(runnerConfig(cls).shape), width),
  );
  const variant = cls.transformationVariant;
  if (variant)
    out.push(
      "",
      `a task with 'data:' runs as a transformation (one record per input record); runner_config keys then:`,
      keyTable(describeShape(runnerConfig(variant).shape), width),
    );
  for (const section of cls.describeSections())
    out.push("", `${section.title}:`, keyTable(describeShape(section.shape), width));
  return out.join("\n");
}

async function describeStoreLike(
  kind: "datastore" | "dataloader" | "formatter",
  name: string,
  { registry, cwd, width }: Ctx,
): Promise<string> {
  const cls = (await registry.resolve(DESCRIBE_KINDS[kind], name)) as unknown as {
    configSchema?: z.ZodObject;
  };
  const out = heading(`${kind} '${name}'`, entryOf(registry, kind, name), cwd);
  const where = {
    datastore: "datastore:, seed_datastore:, data:, final_datastore: or formatted_datastore:",
    dataloader: "dataloader:",
    formatter: "formatter:",
  }[kind];
  out.push(
    "",
    `keys (task YAML, under ${where}):`,
    keyTable(cls.configSchema ? describeShape(cls.configSchema.shape) : [], width),
  );
  return out.join("\n");
}

function runnerConfig(cls: DataBuilderClass): z.ZodObject {
  return cls.family === "transformation"
    ? transformationRunnerConfigSchema
    : generationRunnerConfigSchema;
}

/** The JSON Schema(s) `--json` prints for one thing. */
async function jsonOf(kind: DescribeKind, name: string, { registry }: Ctx): Promise<Json> {
  if (kind === "block") {
    const cls = (await registry.resolve("block", name)) as BlockClass;
    return z.toJSONSchema(
      z.strictObject({ ...baseBlockConfigSchema.shape, ...cls.configSchema.shape }),
      OPTIONS,
    ) as Json;
  }
  if (kind === "builder") {
    const cls = (await registry.resolve("databuilder", name)) as DataBuilderClass;
    return {
      builder: name,
      family: cls.family,
      block_names: cls.blockNames,
      builder_yaml: z.toJSONSchema(
        z.strictObject({ ...baseBuilderShape, ...cls.configSchema.shape }),
        OPTIONS,
      ),
      task_yaml: z.toJSONSchema(
        z.strictObject({ ...baseTaskShape, ...cls.taskSchema.shape }),
        OPTIONS,
      ),
      runner_config: z.toJSONSchema(runnerConfig(cls), OPTIONS),
    };
  }
  const cls = (await registry.resolve(DESCRIBE_KINDS[kind], name)) as unknown as {
    configSchema?: z.ZodObject;
  };
  return z.toJSONSchema(cls.configSchema ?? z.object({}), OPTIONS) as Json;
}

/** No such name among the kinds asked for: the closest name of any of them. */
function notFound(
  registry: Registry,
  name: string,
  kinds: readonly DescribeKind[],
): UnknownNameError {
  const known = kinds.flatMap((k) =>
    k === "builder"
      ? registry.builderYamls().map((b) => b.name)
      : registry.knownNames(DESCRIBE_KINDS[k]),
  );
  const what =
    kinds.length === 1
      ? kinds[0] === "builder"
        ? "data builder"
        : kinds[0]!
      : "block, builder, datastore, dataloader or formatter";
  return new UnknownNameError(DESCRIBE_KINDS[kinds[0]!], name, `no ${what} named '${name}'`, {
    hint: suggestion(name, [...new Set(known)]),
  });
}
