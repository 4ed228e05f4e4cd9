import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { buildTaskTools } from "../build.js";
import { toolsSectionSchema } from "../config.js";

const seen: { method: string; url: string; body: string; auth: string | undefined }[] = [];
const server = createServer(async (req: IncomingMessage, res) => {
  let body = "";
  for await (const c of req) body += String(c);
  seen.push({
    method: req.method!,
    url: req.url!,
    body,
    auth: req.headers["x-api-key"] as string | undefined,
  });
  if (req.url?.startsWith("/api/books/978-0"))
    return res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ title: "Dune", author: "Herbert" }));
  if (req.url === "/api/loans") return res.writeHead(201).end("loan L-1 created");
  res.writeHead(404).end("no such book");
});
await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
afterAll(() => new Promise((r) => server.close(r)));

const ctx = {
  lm: async () => {
    throw new Error("no LM");
  },
  logger: undefined,
  where: "t.yaml",
  taskName: "t",
};
const build = () =>
  buildTaskTools(
    toolsSectionSchema.parse({
      registry: [
        {
          type: "rest",
          spec: "test/fixtures/tools/openapi.yaml",
          namespace: "library",
          base_url: base,
          engine: "http",
        },
      ],
      engines: {
        http: { type: "rest", api_key: { name: "x-api-key", value: "k-123" }, timeout: 5 },
      },
    }),
    ctx,
  );

describe("rest loader and engine", () => {
  it("turns OpenAPI operations into tools", async () => {
    const t = await build();
    expect(t.registry.all().map((x) => x.name)).toEqual(["get_book", "lend_book"]);
    const book = t.registry.get("library::get_book")[0]!;
    expect(book.parameters).toMatchObject({
      required: ["isbn"],
      properties: { isbn: { type: "string" }, lang: { enum: ["en", "fr"] } },
    });
    expect(Object.keys(book.output_parameters.properties as object)).toEqual(["title", "author"]);
    expect(book.metadata).toMatchObject({
      rest_method: "GET",
      rest_path: "/books/{isbn}",
      rest_param_locations: { isbn: "path", lang: "query" },
    });
  });
  it("calls the API over HTTP: path, query and body arguments, key header, JSON or text answers, errors", async () => {
    const t = await build();
    const [book, loan, missing, noPath] = await t.engine.execute("s", [
      { name: "get_book", namespace: "library", arguments: { isbn: "978-0441172719", lang: "en" } },
      {
        name: "lend_book",
        namespace: "library",
        arguments: { isbn: "978-0441172719", member: "ann" },
      },
      { name: "get_book", namespace: "library", arguments: { isbn: "111" } },
      { name: "get_book", namespace: "library", arguments: { lang: "fr" } },
    ]);
    expect(book!.result).toEqual({ title: "Dune", author: "Herbert" });
    expect(loan!.result).toBe("loan L-1 created");
    expect(missing!.error).toBe("HTTP 404: no such book");
    expect(noPath!.error).toBe("Missing required path parameter: 'isbn'");
    const get = seen.find((s) => s.url.startsWith("/api/books/978-0"))!;
    expect(get.url).toBe("/api/books/978-0441172719?lang=en");
    expect(get.auth).toBe("k-123");
    expect(JSON.parse(seen.find((s) => s.method === "POST")!.body)).toEqual({
      isbn: "978-0441172719",
      member: "ann",
    });
    // simulate is DiGiT's for a stateless engine: the same real request, the same answer.
    const before = seen.length;
    const [probe] = await t.engine.simulate("s", [
      { name: "get_book", namespace: "library", arguments: { isbn: "978-0441172719", lang: "en" } },
    ]);
    expect(probe).toEqual(book);
    expect(seen.length).toBe(before + 1);
  });
  it("a refused connection is an error result", async () => {
    const t = await buildTaskTools(
      toolsSectionSchema.parse({
        registry: [
          {
            type: "rest",
            spec: "test/fixtures/tools/openapi.yaml",
            namespace: "library",
            engine: "http",
          },
        ],
        engines: { http: { type: "rest", timeout: 5 } },
      }),
      ctx,
    );
    const [r] = await t.engine.execute("s", [
      { name: "get_book", namespace: "library", arguments: { isbn: "1" } },
    ]);
    expect(r!.error).toMatch(/^request failed/);
  });
});
