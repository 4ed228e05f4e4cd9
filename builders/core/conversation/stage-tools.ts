import { ConfigError, type Row } from "digit-sdg";
import { positionAtPath } from "../../../src/config/source-map.js";
import { parseWith } from "../../../src/config/zod-errors.js";
import type { Registry } from "../../../src/registry/registry.js";
import { toolsSectionSchema } from "../../../src/tools/config.js";
import { plannedTools } from "../../../src/tools/plan-check.js";
import { selectTools } from "../../../src/tools/select.js";
import { isObj } from "../../../src/util/mapping.js";

const STAGE = "lm/assistant/tools";
const STAGE_LISTS = ["initialization_stages", "iteration_stages", "termination_stages"] as const;

/**
 * Plan-time check of a task's `lm/assistant/tools` stages: the task has a `tools:` section, and
 * every name a stage's `tools:` lists is a namespace or tool its registry loads. The registry is
 * loaded now (files read, MCP servers started and listed), so a wrong name is reported with the
 * stage's line and the closest name before any output is written.
 *
 * @example
 * await checkStageTools(spec, "tasks/chat/task.yaml");
 */
export async function checkStageTools(
  spec: Row,
  file: string | undefined,
  registry?: Registry,
): Promise<void> {
  const uses: { names: string[] | undefined; path: (string | number)[] }[] = [];
  for (const key of STAGE_LISTS) {
    const list = spec[key];
    if (!Array.isArray(list)) continue;
    list.forEach((e: unknown, i) => {
      if (!isObj(e) || e.name !== STAGE) return;
      const names = Array.isArray(e.tools) ? e.tools.map(String) : undefined;
      uses.push({ names, path: [key, i] });
    });
  }
  if (!uses.length) return;
  const taskName = String(spec.task_name);
  if (spec.tools == null)
    throw new ConfigError(`stage '${STAGE}' needs a 'tools:' section in the task`, {
      file,
      ...positionAtPath(spec, [...uses[0]!.path, "name"]),
      hint: "add tools: { registry: [...], engines: {...} } (docs/tools.md)",
    });
  const section = parseWith(toolsSectionSchema, spec.tools, `task '${taskName}' tools`, file);
  const tools = await plannedTools(section, taskName, file, registry);
  for (const u of uses) {
    if (u.names === undefined) continue;
    selectTools(tools, u.names, `stage '${STAGE}'`, {
      file,
      ...positionAtPath(spec, [...u.path, "tools"]),
    });
  }
}
