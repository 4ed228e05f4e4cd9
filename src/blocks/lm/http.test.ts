import http from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lmFetch } from "./http.js";

let server: http.Server;
let base = "";
const seen: { method: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method!, headers: req.headers, body });
      if (req.url === "/gzip") {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
        return res.end(gzipSync(JSON.stringify({ ok: "zipped é" })));
      }
      if (req.url === "/slow") return void setTimeout(() => res.end("late"), 2000);
      if (req.url === "/endless") {
        const chunk = Buffer.alloc(1 << 20, 120);
        const pump = () => {
          while (res.write(chunk));
          if (!res.destroyed) res.once("drain", pump);
        };
        return pump();
      }
      if (req.url === "/repeated") {
        res.setHeader("X-Multi", ["one", "two"]);
        res.setHeader("B-Header", "b");
        res.setHeader("A-Header", "a");
        return res.end("{}");
      }
      if (req.url === "/empty") {
        res.writeHead(204);
        return res.end();
      }
      if (req.url === "/cookies") {
        res.setHeader("set-cookie", ["a=1", "b=2"]);
        return res.end();
      }
      res.writeHead(201, "Made", { "x-echo": req.headers["x-key"] ?? "" });
      res.end(`${req.method} ${body}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("lmFetch", () => {
  it("sends method, headers and a text body, and returns status, reason and headers", async () => {
    const res = await lmFetch(`${base}/echo`, {
      method: "POST",
      headers: { "x-key": "k1" },
      body: '{"q":"é"}',
    });
    expect([res.status, res.statusText, res.headers.get("x-echo")]).toEqual([201, "Made", "k1"]);
    expect(await res.text()).toBe('POST {"q":"é"}');
    expect(seen.at(-1)!.headers["content-length"]).toBe(String(Buffer.byteLength('{"q":"é"}')));
  });

  it("encodes form bodies and keeps repeated headers", async () => {
    await lmFetch(new URL(`${base}/echo`), {
      method: "POST",
      body: new URLSearchParams({ grant_type: "x y" }),
    });
    expect(seen.at(-1)!.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
    expect(seen.at(-1)!.body).toBe("grant_type=x+y");
    const res = await lmFetch(`${base}/cookies`);
    expect(res.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  it("answers with headers that read, combine and iterate as fetch's do", async () => {
    const res = await lmFetch(`${base}/repeated`, { headers: [["X-Key", "k2"]] });
    expect(seen.at(-1)!.headers["x-key"]).toBe("k2");
    expect(res.headers).toBeInstanceOf(Headers);
    expect([
      res.headers.get("X-MULTI"),
      res.headers.has("a-header"),
      res.headers.get("missing"),
    ]).toEqual(["one, two", true, null]);
    const names = [...res.headers.keys()];
    expect(names).toEqual([...names].sort());
    expect([...res.headers].filter(([k]) => k.endsWith("-header"))).toEqual([
      ["a-header", "a"],
      ["b-header", "b"],
    ]);
    const copied = new Headers(res.headers); // undici reads it through the iterator
    expect(copied.get("x-multi")).toBe("one, two");
    expect([res.ok, res.url, res.redirected, res.type]).toEqual([
      true,
      `${base}/repeated`,
      false,
      "basic",
    ]);
    expect(inspect(res)).toContain("status: 200");
  });

  it("gives a 204 answer no body, as fetch does", async () => {
    const res = await lmFetch(`${base}/empty`);
    expect([res.status, res.body]).toEqual([204, null]);
    expect(await res.text()).toBe("");
  });

  it("hands out the body once, as json, text, bytes or a stream, like fetch", async () => {
    const res = await lmFetch(`${base}/gzip`);
    expect(res).toBeInstanceOf(Response);
    expect(res.bodyUsed).toBe(false);
    const copy = res.clone();
    expect(res.body).not.toBeNull(); // asking for the stream does not consume it
    expect(await res.json()).toEqual({ ok: "zipped é" });
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(/already been read/);
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe('{"ok":"zipped é"}');
    const streamed = await lmFetch(`${base}/echo`, { method: "POST", body: "via stream" });
    expect(await new Response(streamed.body).text()).toBe("POST via stream");
    await expect(streamed.text()).rejects.toThrow(/already been read/);
  });

  it("decodes a gzip body", async () => {
    const res = await lmFetch(`${base}/gzip`);
    expect(await res.json()).toEqual({ ok: "zipped é" });
    expect(res.headers.get("content-encoding")).toBeNull();
  });

  it("rejects with the signal's reason when aborted, before or during the request", async () => {
    const controller = new AbortController();
    const pending = lmFetch(`${base}/slow`, { signal: controller.signal });
    setTimeout(
      () => controller.abort(Object.assign(new Error("deadline"), { name: "TimeoutError" })),
      50,
    );
    await expect(pending).rejects.toMatchObject({ name: "TimeoutError", message: "deadline" });
    await expect(lmFetch(`${base}/echo`, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: "AbortError",
    });
  });

  it("fails a response that never ends instead of filling memory", async () => {
    await expect(lmFetch(`${base}/endless`)).rejects.toMatchObject({
      code: "DIGIT_RESPONSE_TOO_LARGE",
      message: expect.stringContaining("64 MiB"),
    });
  });

  it("hands a streamed body to the global fetch", async () => {
    const stream = new ReadableStream({
      start: (c) => {
        c.enqueue(new TextEncoder().encode("streamed"));
        c.close();
      },
    });
    const res = await lmFetch(`${base}/echo`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(await res.text()).toBe("POST streamed");
  });

  it("reports a refused connection as an error with its code", async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(lmFetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
  });
});
