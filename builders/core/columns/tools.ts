import { ConfigError, type Row } from "digit-sdg";
import { positionAtPath } from "../../../src/config/source-map.js";
import { parseWith } from "../../../src/config/zod-errors.js";
import { type ToolsSection, toolsSectionSchema } from "../../../src/tools/config.js";
import type { ToolEngine } from "../../../src/tools/engines/engine.js";
import { checkToolNamespaces, selectTools, staticNamespaces } from "../../../src/tools/select.js";
import type { TaskToolSets } from "../../../src/tools/tool-sets.js";
import type { Tool } from "../../../src/tools/types.js";
import type { ColumnPlan } from "./column-plan.js";

const DOCS = "(docs/tools.md)";

/** What an LLM column with `tools:` runs its requests with. */
export interface ColumnTools {
  /** The tools offered to the model. */
  offered: Tool[];
  /** Routes each call to its namespace's engine. */
  engine: ToolEngine;
  maxRounds: number;
  callTimeoutMs: number;
}

/**
 * A task's tools section: the builder's `tools:` with the task's added (registry entries and
 * enrichments appended, engines of the same name taken from the task); undefined when neither has
 * one.
 *
 * @example
 * const section = columnsToolsSection(builderConfig, task.spec, task.file);
 */
export function columnsToolsSection(
  config: Row,
  spec: Row,
  file: string | undefined,
): ToolsSection | undefined {
  const parse = (v: unknown, what: string) =>
    v == null ? undefined : parseWith(toolsSectionSchema, v, what, file);
  const own = parse(spec.tools, `task '${String(spec.task_name)}' tools`);
  const shared = parse(config.tools, "builder tools");
  if (!own || !shared) return own ?? shared;
  return {
    registry: [...shared.registry, ...own.registry],
    engines: { ...shared.engines, ...own.engines },
    enrichments: [...shared.enrichments, ...own.enrichments],
  };
}

/** The index of each column in the task's `columns:` list (errors point at its lines). */
function columnIndex(spec: Row): Map<string, number> {
  return new Map((spec.columns as Row[]).map((c, i) => [String(c.name), i]));
}

/**
 * Plan-time checks of the columns' `tools:`: the task (or builder) has a `tools:` section, and
 * every namespace a column names is one its registry loads, when that is known without loading
 * (tool names are checked once the tools are loaded, see `columnTools`).
 *
 * @example
 * checkColumnTools(plan, spec, file, builderConfig);
 */
export function checkColumnTools(
  plan: ColumnPlan,
  spec: Row,
  file: string | undefined,
  config: Row,
): void {
  if (plan.traces.size === 0) return;
  const section = columnsToolsSection(config, spec, file);
  const index = columnIndex(spec);
  const namespaces = section ? staticNamespaces(section.registry) : undefined;
  for (const c of plan.columns) {
    if (!("tools" in c) || c.tools === undefined) continue;
    const where = { file, ...positionAtPath(spec, ["columns", index.get(c.name)!, "tools"]) };
    if (!section)
      throw new ConfigError(
        `column '${c.name}' names tools, but the task has no 'tools:' section`,
        {
          ...where,
          hint: `add tools: { registry: [...], engines: {...} } to the task or builder ${DOCS}`,
        },
      );
    if (namespaces) checkToolNamespaces(c.tools, namespaces, `column '${c.name}' tools`, where);
  }
}

/**
 * Build a task's tools (loaders, engines and enrichments run now) and pick each tool-using
 * column's tools; a name that matches no loaded tool is a ConfigError at the column's line.
 *
 * @example
 * const byColumn = await columnTools(plan, spec, file, config, toolSets, task.name);
 */
export async function columnTools(
  plan: ColumnPlan,
  spec: Row,
  file: string | undefined,
  config: Row,
  toolSets: TaskToolSets,
  taskName: string,
): Promise<Map<string, ColumnTools>> {
  const out = new Map<string, ColumnTools>();
  if (plan.traces.size === 0) return out;
  checkColumnTools(plan, spec, file, config);
  const section = columnsToolsSection(config, spec, file)!;
  const tools = await toolSets.build({ name: taskName, file }, section);
  const index = columnIndex(spec);
  for (const c of plan.columns) {
    if (!("tools" in c) || c.tools === undefined) continue;
    const where = { file, ...positionAtPath(spec, ["columns", index.get(c.name)!, "tools"]) };
    out.set(c.name, {
      offered: selectTools(tools.registry.all(), c.tools, `column '${c.name}' tools`, where),
      engine: tools.engine,
      maxRounds: c.max_tool_rounds,
      callTimeoutMs: c.tool_call_timeout * 1000,
    });
  }
  return out;
}
