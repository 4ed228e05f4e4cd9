import { afterAll, describe, expect, it } from "vitest";
import { startFakeLLM } from "./index.js";

const fake = await startFakeLLM({ apiKey: "sk-fake" });
afterAll(() => fake.close());

async function post(path: string, body: unknown, key = "sk-fake") {
  const res = await fetch(`${fake.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe("fake LLM embeddings", () => {
  it("answers OpenAI /v1/embeddings with one normalised vector per input, in order, the same every time", async () => {
    const a = await post("/v1/embeddings", {
      model: "m",
      input: ["get order status", "order status please", "weather in Paris"],
      dimensions: 32,
    });
    expect(a.status).toBe(200);
    const data = a.body.data as { index: number; embedding: number[] }[];
    expect(data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const d of data) {
      expect(d.embedding).toHaveLength(32);
      expect(dot(d.embedding, d.embedding)).toBeCloseTo(1, 5);
    }
    // Shared words make texts closer than unrelated ones.
    expect(dot(data[0]!.embedding, data[1]!.embedding)).toBeGreaterThan(
      dot(data[0]!.embedding, data[2]!.embedding),
    );
    const again = await post("/v1/embeddings", {
      model: "m",
      input: "get order status",
      dimensions: 32,
    });
    expect((again.body.data as { embedding: number[] }[])[0]!.embedding).toEqual(
      data[0]!.embedding,
    );
  });
  it("answers Ollama /api/embed", async () => {
    const r = await post("/api/embed", { model: "m", input: ["a b", "c"] });
    expect(r.status).toBe(200);
    const e = r.body.embeddings as number[][];
    expect(e).toHaveLength(2);
    expect(e[0]).toHaveLength(64);
  });
  it("rejects bad input and wrong keys", async () => {
    expect((await post("/v1/embeddings", { model: "m", input: 3 })).status).toBe(400);
    expect((await post("/v1/embeddings", { model: "m", input: "x" }, "sk-wrong")).status).toBe(401);
  });
});
