import type { Registry } from "../registry/registry.js";
import type { ToolsSection } from "./config.js";
import { checkEngineNames, loadRegistryEntries, mcpServersOf } from "./load-entries.js";
import { closeMcpConnections } from "./mcp/connection.js";
import { ToolRegistry } from "./registry.js";
import type { Tool } from "./types.js";

/**
 * The tools a task's `tools:` section loads, loaded while the run is planned so that the tool
 * names its lists use are checked before any output is written: files and inline lists are read,
 * MCP servers started, listed and closed again, REST specs read. Engines and enrichments do not
 * run. An engine name not defined under `tools.engines` and a tool defined twice are errors here
 * too. Plugins' loader types resolve in `registry` (the run's).
 *
 * @example
 * const tools = await plannedTools(section, "t/tools", "task.yaml");
 * selectTools(tools, ["calc/add"], "column 'answer' tools", { file, line });
 */
export async function plannedTools(
  section: ToolsSection,
  taskName: string,
  file: string | undefined,
  registry?: Registry,
): Promise<Tool[]> {
  const at = `task '${taskName}' tools`;
  checkEngineNames(section, at, file ?? taskName);
  const perEntry = await loadRegistryEntries(section, at, file ?? taskName, registry);
  const tools = perEntry.flat();
  try {
    return new ToolRegistry(tools).all();
  } finally {
    await closeMcpConnections(mcpServersOf(tools));
  }
}
