#!/usr/bin/env node
// A small MCP server with deterministic tools, for digit's tests and the tools tutorial.
//   node test/support/mcp/tools-server.mjs              # stdio
//   node test/support/mcp/tools-server.mjs --http 0     # streamable HTTP on 127.0.0.1 (0: any port)
//   node test/support/mcp/tools-server.mjs --sse 0      # the older HTTP+SSE transport (GET /sse)
//   --die-after N FILE: the process exits while answering its N-th tool call, unless FILE exists;
//     it creates FILE first, so a restarted server keeps running (to test a crash mid-run)
// In HTTP mode it prints "listening on http://127.0.0.1:<port>/mcp" once it accepts connections,
// in SSE mode "listening on http://127.0.0.1:<port>/sse".
import { randomUUID } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const CITIES = {
  paris: { country: "France", population: 2102650 },
  oslo: { country: "Norway", population: 709037 },
  nairobi: { country: "Kenya", population: 4397073 },
  lima: { country: "Peru", population: 10004141 },
};

const ok = (value) => ({
  content: [{ type: "text", text: JSON.stringify(value) }],
  structuredContent: value,
});

const dieAt = process.argv.indexOf("--die-after");
const marker = dieAt < 0 ? undefined : process.argv[dieAt + 2];
const dieAfter =
  dieAt < 0 || (marker && existsSync(marker)) ? Infinity : Number(process.argv[dieAt + 1]);
let calls = 0;

function build() {
  const server = new McpServer({ name: "digit-test-tools", version: "1.0.0" });
  const registerTool = server.registerTool.bind(server);
  server.registerTool = (name, config, handler) =>
    registerTool(name, config, async (...a) => {
      if (++calls >= dieAfter) {
        if (marker) writeFileSync(marker, "died\n");
        process.exit(4);
      }
      return handler(...a);
    });
  server.registerTool(
    "add",
    {
      description: "Add two numbers.",
      inputSchema: {
        a: z.number().describe("First number"),
        b: z.number().describe("Second number"),
      },
      outputSchema: { sum: z.number().describe("a + b") },
    },
    async ({ a, b }) => ok({ sum: a + b }),
  );
  server.registerTool(
    "lookup_city",
    {
      description: "Country and population of a city.",
      inputSchema: { city: z.enum(["Paris", "Oslo", "Nairobi", "Lima"]).describe("City name") },
      outputSchema: {
        country: z.string().describe("Country"),
        population: z.number().describe("Inhabitants"),
      },
    },
    async ({ city }) => {
      const hit = CITIES[city.trim().toLowerCase()];
      if (!hit)
        return { content: [{ type: "text", text: `unknown city '${city}'` }], isError: true };
      return ok(hit);
    },
  );
  server.registerTool(
    "word_count",
    {
      description: "Count the words of a text.",
      inputSchema: { text: z.string().describe("Any text") },
      outputSchema: { words: z.number().describe("Number of words") },
    },
    async ({ text }) => ok({ words: (text.match(/\S+/g) ?? []).length }),
  );
  server.registerTool(
    "slow",
    {
      description: "Answer after a delay.",
      inputSchema: { ms: z.number().describe("Delay in milliseconds") },
    },
    async ({ ms }) => {
      await new Promise((r) => setTimeout(r, ms));
      return { content: [{ type: "text", text: `waited ${ms} ms` }] };
    },
  );
  server.registerTool(
    "crash",
    {
      description: "Stop the server process at once (to test failures).",
      inputSchema: {},
    },
    async () => process.exit(3),
  );
  return server;
}

const http = process.argv.indexOf("--http");
const sse = process.argv.indexOf("--sse");
if (sse >= 0) {
  // One SSE stream per client (GET /sse); its messages come back as POST /messages?sessionId=...
  const transports = new Map();
  const httpServer = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/sse") {
      const transport = new SSEServerTransport("/messages", res);
      transports.set(transport.sessionId, transport);
      res.on("close", () => transports.delete(transport.sessionId));
      await build().connect(transport);
      return;
    }
    const transport = transports.get(url.searchParams.get("sessionId") ?? "");
    if (req.method === "POST" && url.pathname === "/messages" && transport) {
      await transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  httpServer.listen(Number(process.argv[sse + 1] ?? 0), "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${httpServer.address().port}/sse`);
  });
} else if (http < 0) {
  await build().connect(new StdioServerTransport());
} else {
  const transports = new Map();
  const httpServer = createServer(async (req, res) => {
    if (!req.url?.startsWith("/mcp")) {
      res.writeHead(404).end();
      return;
    }
    let body;
    if (req.method === "POST") {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    }
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? transports.get(id) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => transports.set(sid, transport),
      });
      transport.onclose = () => transport.sessionId && transports.delete(transport.sessionId);
      await build().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  httpServer.listen(Number(process.argv[http + 1] ?? 0), "127.0.0.1", () => {
    console.log(`listening on http://127.0.0.1:${httpServer.address().port}/mcp`);
  });
}
