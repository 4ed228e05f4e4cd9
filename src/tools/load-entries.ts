import { parseWith } from "../config/zod-errors.js";
import { ConfigError } from "../errors.js";
import type { Registry } from "../registry/registry.js";
import { suggestion } from "../util/did-you-mean.js";
import { LOADERS } from "./catalog.js";
import type { ToolsSection } from "./config.js";
import { lookup } from "./lookup.js";
import { closeMcpConnections } from "./mcp/connection.js";
import type { Tool } from "./types.js";

/**
 * The tools each `tools.registry` entry loads, in entry order: files and inline lists are read,
 * MCP servers started and listed, REST specs read; loader types of plugins resolve in `registry`.
 * On a failure, the MCP servers already started are closed before the error is thrown.
 *
 * @example
 * const perEntry = await loadRegistryEntries(section, "task 't' tools", "task.yaml");
 */
export async function loadRegistryEntries(
  section: ToolsSection,
  at: string,
  file: string,
  registry?: Registry,
): Promise<Tool[][]> {
  const out: Tool[][] = [];
  try {
    for (const [i, e] of section.registry.entries()) {
      const where = `${at}.registry[${i}]`;
      const def = await lookup(LOADERS, e.type, `${where}: tool loader`, file, {
        kind: "tool_loader",
        registry,
      });
      const { type: _t, engine: _e, ...keys } = e;
      const config = parseWith(def.schema.strict(), keys, where);
      out.push(await def.create(config, { where }).load());
    }
    return out;
  } catch (e) {
    await closeMcpConnections(mcpServersOf(out.flat()));
    throw e;
  }
}

/**
 * Every `engine:` a registry entry names is defined under `tools.engines`; else a ConfigError with
 * the closest engine name.
 *
 * @example
 * checkEngineNames(section, "task 't' tools", "task.yaml");
 */
export function checkEngineNames(section: ToolsSection, at: string, file: string): void {
  for (const [i, e] of section.registry.entries()) {
    if (e.engine && !(e.engine in section.engines)) {
      throw new ConfigError(
        `${at}.registry[${i}]: engine '${e.engine}' is not defined in tools.engines (${suggestion(e.engine, Object.keys(section.engines))})`,
        { file },
      );
    }
  }
}

/**
 * The ids of the MCP servers some of `tools` come from.
 *
 * @example
 * await closeMcpConnections(mcpServersOf(registry.all()));
 */
export function mcpServersOf(tools: readonly Tool[]): Set<string> {
  return new Set(
    tools.map((t) => t.metadata.mcp_server).filter((s): s is string => typeof s === "string"),
  );
}
