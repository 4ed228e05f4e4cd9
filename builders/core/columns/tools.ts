import { ConfigError, type Row } from "digit-sdg";
import { positionAtPath } from "../../../src/config/source-map.js";
import { parseWith } from "../../../src/config/zod-errors.js";
import type { Registry } from "../../../src/registry/registry.js";
import { type ToolsSection, toolsSectionSchema } from "../../../src/tools/config.js";
import type { ToolEngine } from "../../../src/tools/engines/engine.js";
import { plannedTools } from "../../../src/tools/plan-check.js";
import { selectTools } from "../../../src/tools/select.js";
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
 * every namespace and tool a column names is one its registry loads. The registry is loaded now
 * (files read, MCP servers started and listed, see `plannedTools`), so a wrong name is reported
 * with its line and the closest name before any output is written.
 *
 * @example
 * await checkColumnTools(plan, spec, file, builderConfig);
 */
export async function checkColumnTools(
  plan: ColumnPlan,
  spec: Row,
  file: string | undefined,
  config: Row,
  registry?: Registry,
): Promise<void> {
  const section = requireToolsSection(plan, spec, file, config);
  if (!section) return;
  const tools = await plannedTools(section, String(spec.task_name), file, registry);
  const index = columnIndex(spec);
  for (const c of plan.columns) {
    if (!("tools" in c) || c.tools === undefined) continue;
    const where = { file, ...positionAtPath(spec, ["columns", index.get(c.name)!, "tools"]) };
    selectTools(tools, c.tools, `column '${c.name}' tools`, where);
  }
}

/** The task's tools section when a column names tools (an error when there is none). */
function requireToolsSection(
  plan: ColumnPlan,
  spec: Row,
  file: string | undefined,
  config: Row,
): ToolsSection | undefined {
  if (plan.traces.size === 0) return undefined;
  const section = columnsToolsSection(config, spec, file);
  if (section) return section;
  const index = columnIndex(spec);
  const c = plan.columns.find((x) => "tools" in x && x.tools !== undefined)!;
  throw new ConfigError(`column '${c.name}' names tools, but the task has no 'tools:' section`, {
    file,
    ...positionAtPath(spec, ["columns", index.get(c.name)!, "tools"]),
    hint: `add tools: { registry: [...], engines: {...} } to the task or builder ${DOCS}`,
  });
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
  const section = requireToolsSection(plan, spec, file, config);
  if (!section) return out;
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
