import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { ToolServerError } from "../../errors.js";
import { buildTaskTools } from "../build.js";
import { toolsSectionSchema } from "../config.js";

const SERVER = "test/support/mcp/tools-server.mjs";
const ctx = {
  lm: async () => {
    throw new Error("no LM here");
  },
  logger: undefined,
  where: "t.yaml",
  taskName: "t",
};
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill();
});

/** Start an HTTP flavour of the test server on a free port; its endpoint URL. */
async function httpServer(mode: "--http" | "--sse" = "--http"): Promise<{
  url: string;
  child: ChildProcess;
}> {
  const child = spawn(process.execPath, [SERVER, mode, "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: line.replace("listening on ", "").trim(), child };
}

const section = (server: Record<string, unknown>, engine: Record<string, unknown> = {}) =>
  toolsSectionSchema.parse({
    registry: [{ type: "mcp", namespace: "calc", engine: "mcp", ...server }],
    engines: { mcp: { type: "mcp", ...engine } },
  });

describe.each([
  ["stdio", async () => ({ command: process.execPath, args: [SERVER] })],
  ["streamable HTTP", async () => ({ base_url: (await httpServer()).url })],
  [
    "the old HTTP+SSE transport",
    async () => ({ base_url: (await httpServer("--sse")).url, transport: "sse" }),
  ],
] as const)("MCP over %s (a real server process)", (name, server) => {
  it("lists the server's tools with their schemas and calls them", async () => {
    const tools = await buildTaskTools(section(await server()), ctx);
    try {
      expect(
        tools.registry
          .all()
          .map((t) => t.name)
          .sort(),
      ).toEqual(["add", "crash", "lookup_city", "slow", "word_count"]);
      const add = tools.registry.get("calc::add")[0]!;
      expect(Object.keys(add.parameters.properties as object)).toEqual(["a", "b"]);
      expect(Object.keys(add.output_parameters.properties as object)).toEqual(["sum"]);
      expect(typeof add.metadata.mcp_server).toBe("string");
      const [sum, city, missing, bad] = await tools.engine.execute("s", [
        { name: "add", namespace: "calc", arguments: { a: 2, b: 40 }, call_id: "$1" },
        { name: "lookup_city", namespace: "calc", arguments: { city: "Oslo" } },
        { name: "lookup_city", namespace: "calc", arguments: { city: "Atlantis" } },
        { name: "add", namespace: "calc", arguments: { a: "two" } },
      ]);
      expect(sum).toEqual({ call_id: "$1", name: "add", result: { sum: 42 } });
      expect(city!.result).toEqual({ country: "Norway", population: 709037 });
      expect(missing!.error).toMatch(/Invalid arguments for tool lookup_city/);
      expect(bad!.error).toMatch(/MCP server '.*':/);
      // The tool answered (with an error): the server is fine.
      expect([missing!.unreachable, bad!.unreachable]).toEqual([undefined, undefined]);
      expect(add.metadata.mcp_transport).toBe(
        name === "stdio" ? "stdio" : name === "streamable HTTP" ? "streamable_http" : "sse",
      );
      // simulate calls the server too (the engine keeps no session state to spare).
      const [probe] = await tools.engine.simulate("s", [
        { name: "add", namespace: "calc", arguments: { a: 1, b: 2 }, call_id: "$9" },
      ]);
      expect(probe).toEqual({ call_id: "$9", name: "add", result: { sum: 3 } });
    } finally {
      await tools.close();
    }
  });
  it("times a hanging call out, and limits calls in flight per server", async () => {
    const tools = await buildTaskTools(
      section(await server(), { timeout: 0.3, call_limit: 1 }),
      ctx,
    );
    try {
      const [slow, fast] = await tools.engine.execute("s", [
        { name: "slow", namespace: "calc", arguments: { ms: 5000 } },
        { name: "add", namespace: "calc", arguments: { a: 1, b: 1 } },
      ]);
      expect(slow!.error).toMatch(/timed out|timeout/i);
      expect(fast!.result).toEqual({ sum: 2 });
    } finally {
      await tools.close();
    }
  });
});

describe("MCP failures", () => {
  it("a server that dies fails the calls in flight; the next call starts it again (stdio)", async () => {
    const tools = await buildTaskTools(section({ command: process.execPath, args: [SERVER] }), ctx);
    try {
      const [crash] = await tools.engine.execute("s", [
        { name: "crash", namespace: "calc", arguments: {} },
      ]);
      expect(crash!.error).toMatch(/MCP server/);
      expect(crash!.unreachable).toBe(true);
      const [after] = await tools.engine.execute("s", [
        { name: "add", namespace: "calc", arguments: { a: 1, b: 2 } },
      ]);
      expect(after!.result).toEqual({ sum: 3 });
    } finally {
      await tools.close();
    }
  });
  it("a server that cannot start is a ToolServerError naming the command", async () => {
    await expect(
      buildTaskTools(section({ command: "/nonexistent/mcp-server" }), ctx),
    ).rejects.toThrow(ToolServerError);
    await expect(
      buildTaskTools(section({ command: "/nonexistent/mcp-server" }), ctx),
    ).rejects.toThrow(/could not be reached/);
  });
  it("needs exactly one of command and base_url, and a transport that fits it", async () => {
    await expect(buildTaskTools(section({}), ctx)).rejects.toThrow(/exactly one of 'command'/);
    await expect(
      buildTaskTools(section({ command: process.execPath, transport: "sse" }), ctx),
    ).rejects.toThrow(/transport 'sse' needs base_url/);
  });
  it("a killed SSE server fails the calls as unreachable (the record fails, not the run)", async () => {
    const { url, child } = await httpServer("--sse");
    const tools = await buildTaskTools(section({ base_url: url, transport: "sse" }), ctx);
    try {
      child.kill();
      await new Promise((r) => child.once("exit", r));
      const [after] = await tools.engine.execute("s", [
        { name: "add", namespace: "calc", arguments: { a: 1, b: 2 } },
      ]);
      expect(after!.error).toMatch(/MCP server/);
      expect(after!.unreachable).toBe(true);
    } finally {
      await tools.close();
    }
  });
});
