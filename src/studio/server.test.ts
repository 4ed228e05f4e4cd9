// biome-ignore-all lint/suspicious/noExplicitAny: the API's JSON answers are read field by field in assertions
import { appendFile, mkdir, mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payloadSpans, writeStudioFixture } from "../../test/studio/fixture.js";
import { type Studio, startStudio } from "./server.js";

let dir: string;
let studio: Studio;

/** GET a path with its bytes as given (no URL normalisation), returning status and JSON body. */
function get(path: string): Promise<{ status: number; body: any }> {
  return new Promise((ok, fail) => {
    const url = new URL(studio.url);
    const req = request({ host: "127.0.0.1", port: url.port, path, method: "GET" }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () =>
        ok({ status: res.statusCode ?? 0, body: text.startsWith("{") ? JSON.parse(text) : text }),
      );
    });
    req.on("error", fail);
    req.end();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "studio-"));
  await writeStudioFixture(join(dir, "out"));
  await writeFile(join(dir, "secret.jsonl"), '{"secret":1}\n');
  await symlink(
    join(dir, "secret.jsonl"),
    join(dir, "out", "run-a", "chat", "support", "blocks", "leak.jsonl"),
  );
  await mkdir(join(dir, "assets"));
  await writeFile(join(dir, "assets", "index.html"), "<html>studio</html>");
  await mkdir(join(dir, "telemetry"));
  const span = (run: string, i: number, ms: number, status = "ok") =>
    JSON.stringify({
      span_name: "dgt.llm_call",
      span_id: `s${i}`,
      run_id: run,
      start_time: new Date(Date.UTC(2026, 11, 4, 10, 0, i * 3)).toISOString(),
      duration_ms: ms,
      status,
      prompt_tokens: 10,
      completion_tokens: 4,
    });
  const lines = [
    span("run-a", 0, 50),
    span("run-a", 1, 300),
    span("run-a", 2, 12_000, "error"),
    span("run-b", 3, 50),
    '{"span_name":"dgt.block","run_id":"run-a"}',
    "{broken",
    // Recorded prompts, in a run of their own so the request counts above stay as they are.
    ...payloadSpans().map((l) => JSON.stringify({ ...JSON.parse(l), run_id: "run-p" })),
  ];
  await writeFile(join(dir, "telemetry", "traces.jsonl"), `${lines.join("\n")}\n`);
  studio = await startStudio({
    root: join(dir, "out"),
    port: 0,
    assetsDir: join(dir, "assets"),
    pollMs: 50,
    telemetryDir: join(dir, "telemetry"),
  });
});
afterAll(async () => studio?.close());

describe("studio server", () => {
  it("listens on 127.0.0.1 and lists runs and tasks with their counts", async () => {
    expect(studio.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const { body } = await get("/api/runs");
    expect(body.runs.map((r: any) => r.id)).toEqual(["run-a", "run-b"]);
    const chat = body.runs[0].tasks.find((t: any) => t.name === "chat/support");
    expect(chat.status).toBe("completed");
    expect(chat.summary.cost_usd).toBeCloseTo(0.12);
    expect(chat.metrics.rejected).toEqual({ length_check: 9, duplicates: 1 });
    expect(chat.files.map((f: any) => `${f.role}:${f.label}`)).toEqual([
      "final_data:final_data",
      "data:data",
      "postproc:epoch 1",
      "reject:duplicates",
      "reject:leak",
      "reject:length_check",
    ]);
    const geo = body.runs[0].tasks.find((t: any) => t.name === "geo/capitals");
    expect(geo.files.map((f: any) => f.path)).toEqual([
      "run-a/geo/capitals/final_data.parquet",
      "run-a/geo/capitals/data.csv",
    ]);
  });

  it("pages JSONL records, and searches and sorts them", async () => {
    const { body } = await get(
      "/api/records?file=run-a/chat/support/data.jsonl&offset=100&limit=15",
    );
    expect(body.total).toBe(120);
    expect(body.rows.map((r: any) => r.index)).toEqual(
      Array.from({ length: 15 }, (_, i) => 100 + i),
    );
    expect(body.rows[0].record.id).toBe("rec0100");
    expect(body.columns).toContain("messages");
    const found = await get(
      "/api/records?file=run-a/chat/support/data.jsonl&q=CITY%2011%3F&limit=5",
    );
    expect(found.body.total).toBe(1);
    expect(found.body.rows[0].record.id).toBe("rec0011");
    const sorted = await get(
      "/api/records?file=run-a/chat/support/data.jsonl&sort=score&desc=1&limit=3",
    );
    expect(sorted.body.rows.map((r: any) => r.record.score)).toEqual([6, 6, 6]);
    expect(sorted.body.rows.map((r: any) => r.index)).toEqual([6, 13, 20]);
  });

  it("pages CSV and Parquet records through digit's readers", async () => {
    const csv = await get("/api/records?file=run-a/geo/capitals/data.csv&offset=10&limit=2");
    expect(csv.body.total).toBe(30);
    expect(csv.body.rows.map((r: any) => r.record)).toEqual([
      {
        task_name: "geo/capitals",
        is_seed: false,
        question: "Capital of land 10?",
        answer: "City 10",
        tags: ["geo", "t2"],
        id: "g10",
      },
      {
        task_name: "geo/capitals",
        is_seed: false,
        question: "Capital of land 11?",
        answer: "City 11",
        tags: ["geo", "t3"],
        id: "g11",
      },
    ]);
    const pq = await get(
      "/api/records?file=run-a/geo/capitals/final_data.parquet&offset=28&limit=10&sort=id",
    );
    expect(pq.body.total).toBe(30);
    expect(pq.body.rows.map((r: any) => r.record.id)).toEqual(["g8", "g9"]);
  });

  it("groups a block's rejects by reason", async () => {
    const { body } = await get("/api/rejects?file=run-a/chat/support/blocks/length_check.jsonl");
    expect(body.total).toBe(9);
    expect(body.reasons).toEqual([
      { reason: "no tool result used", count: 6 },
      { reason: "answer too short (N chars)", count: 3 },
    ]);
  });

  it("compares two runs of a task", async () => {
    const { body } = await get("/api/compare?a=run-a/chat/support&b=run-b/chat/support");
    expect([body.a.records, body.b.records]).toEqual([118, 58]);
    expect([body.a.rejects.length_check, body.b.rejects.length_check]).toEqual([9, 30]);
    const topic = body.a.fields.find((f: any) => f.field === "topic");
    expect(topic.top).toEqual([
      { value: "travel", count: 78 },
      { value: "weather", count: 40 },
    ]);
  });

  it("refuses paths outside the output folder, through links, and non-record files", async () => {
    const raw = [
      "..%2Fsecret.jsonl",
      "run-a/../../secret.jsonl",
      "%2e%2e/secret.jsonl",
      "run-a%5C..%5C..%5Csecret.jsonl",
      "/etc/passwd",
    ];
    for (const path of [...raw, encodeURIComponent(join(dir, "secret.jsonl"))]) {
      const { status, body } = await get(`/api/records?file=${path}`);
      expect(status, path).toBe(403);
      expect(body.error.code).toBe("DIGIT_OUTPUT_OUTSIDE");
    }
    const link = await get("/api/records?file=run-a/chat/support/blocks/leak.jsonl");
    expect(link.status).toBe(403);
    expect(JSON.stringify(link.body)).not.toContain('"secret"');
    expect((await get("/api/records?file=run-a/run_summary.txt")).status).toBe(400);
    expect((await get("/api/records?file=run-a/nothing.jsonl")).status).toBe(404);
    expect(
      (await get("/api/records?file=run-a/chat/support/data.jsonl&limit=x")).body.error.code,
    ).toBe("DIGIT_USAGE");
    const asset = await get("/../secret.jsonl");
    expect(asset.status).toBe(404);
    expect((await get("/%2e%2e/secret.jsonl")).status).toBe(404);
  });

  it("charts a run's LLM requests from traces.jsonl", async () => {
    const { body } = await get("/api/requests?run=run-a");
    expect(body.runId).toBe("run-a");
    expect([
      body.stats.requests,
      body.stats.errors,
      body.stats.promptTokens,
      body.stats.completionTokens,
    ]).toEqual([3, 1, 30, 12]);
    expect(body.stats.latency.filter((b: { count: number }) => b.count > 0)).toEqual([
      { upTo: 100, count: 1 },
      { upTo: 500, count: 1 },
      { upTo: null, count: 1 },
    ]);
    expect(body.stats.overTime).toEqual({ bucketSeconds: 1, counts: [1, 0, 0, 1, 0, 0, 1] });
    expect((await get("/api/requests?run=nope")).body.stats).toBeNull();
    // A live run's spans keep coming: the next look counts the new ones once.
    const late = { span_name: "dgt.llm_call", run_id: "run-a", status: "ok", duration_ms: 1 };
    await appendFile(join(dir, "telemetry", "traces.jsonl"), `${JSON.stringify(late)}\n`);
    const again = await get("/api/requests?run=run-a");
    expect([again.body.stats.requests, again.body.stats.errors]).toEqual([4, 1]);
  });

  it("follows a task's progress.jsonl: the latest run's lines, and its run id for the charts", async () => {
    const { body } = await get("/api/timeline?task=run-a/chat/support");
    expect([body.runId, body.runs, body.points.length]).toEqual(["run-a", 1, 31]);
    expect(body.latest).toMatchObject({ status: "completed", records: 118, cost_usd: 0.12 });
    expect(body.points.map((p: any) => p.records)).toEqual(
      [...body.points.map((p: any) => p.records)].sort((a, b) => a - b),
    );
    const none = await get("/api/timeline?task=run-a/geo/capitals");
    expect(none.body).toEqual({ runId: null, runs: 0, latest: null, points: [] });
    // The run writing a task now names the request spans, before any run_summary.json says so.
    const progress = join(dir, "out", "run-a", "geo", "capitals", "progress.jsonl");
    await writeFile(
      progress,
      `${JSON.stringify({ time: "2026-12-04T11:00:00.000Z", run_id: "run-b", records: 3, requests: 4 })}\n`,
    );
    const live = await get("/api/requests?run=run-a&task=run-a/geo/capitals");
    expect([live.body.runId, live.body.stats.requests]).toEqual(["run-b", 1]);
    expect((await get("/api/timeline?task=run-a/nope")).status).toBe(400);
  });

  it("finds the prompts telemetry recorded for a record by its text", async () => {
    const five = await get("/api/prompts?file=run-a/chat/support/data.jsonl&index=5");
    expect(five.body.telemetry).toBe(true);
    expect(five.body.payloads).toBe(3);
    expect(five.body.produced.map((c: any) => c.spanId)).toEqual(["p0"]);
    expect(five.body.usedIn.map((c: any) => c.spanId)).toEqual(["p1"]);
    expect(five.body.produced[0].input[1]).toEqual({
      role: "user",
      content: "Write a support chat about city 5.",
    });
    expect(five.body.produced[0].completion).toContain("It is sunny in city 5, 15 degrees.");
    const seven = await get("/api/prompts?file=run-a/chat/support/data.jsonl&index=7");
    expect(seven.body.produced.map((c: any) => c.spanId)).toEqual(["p2"]);
    const none = await get("/api/prompts?file=run-a/chat/support/data.jsonl&index=11");
    expect([none.body.payloads, none.body.produced, none.body.usedIn]).toEqual([3, [], []]);
    expect((await get("/api/prompts?file=run-a/chat/support/data.jsonl&index=999")).status).toBe(
      400,
    );
    expect((await get("/api/prompts?file=../secret.jsonl&index=0")).status).toBe(403);
  });

  it("is read-only", async () => {
    const before = await readFile(
      join(dir, "out", "run-a", "chat", "support", "data.jsonl"),
      "utf8",
    );
    const status = await new Promise<number>((ok) => {
      const url = new URL(studio.url);
      request(
        {
          host: "127.0.0.1",
          port: url.port,
          path: "/api/records?file=run-a/chat/support/data.jsonl",
          method: "POST",
        },
        (res) => ok(res.statusCode ?? 0),
      ).end("{}");
    });
    expect(status).toBe(405);
    expect(await readFile(join(dir, "out", "run-a", "chat", "support", "data.jsonl"), "utf8")).toBe(
      before,
    );
  });

  it("sends live progress as server-sent events while a task's files grow", async () => {
    const url = new URL(studio.url);
    const events: any[] = [];
    const req = request({ host: "127.0.0.1", port: url.port, path: "/api/events" });
    const done = new Promise<void>((ok) => {
      req.on("response", (res) => {
        expect(res.headers["content-type"]).toBe("text/event-stream");
        let buf = "";
        res.on("data", (c) => {
          buf += c;
          for (let at = buf.indexOf("\n\n"); at >= 0; at = buf.indexOf("\n\n")) {
            const block = buf.slice(0, at);
            buf = buf.slice(at + 2);
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (data) events.push(JSON.parse(data));
            if (events.some((e) => e.task.id === "run-b/chat/support" && e.records === 61)) ok();
          }
        });
      });
    });
    req.end();
    await new Promise((r) => setTimeout(r, 150));
    const task = join(dir, "out", "run-b", "chat", "support");
    const line = (at: string, requests: number, inFlight: number) =>
      `${JSON.stringify({ time: at, run_id: "run-c", status: "running", records: 61, requests, in_flight: inFlight })}\n`;
    // The next run's counters (20 requests in 2 s), then a record in its data file.
    await appendFile(
      join(task, "progress.jsonl"),
      line("2026-12-04T11:00:00.000Z", 10, 1) + line("2026-12-04T11:00:02.000Z", 30, 4),
    );
    await appendFile(join(task, "data.jsonl"), `${JSON.stringify({ id: "new" })}\n{"partial":`);
    await done;
    req.destroy();
    const first = events.find((e) => e.task.id === "run-b/chat/support");
    expect(first.records).toBe(60);
    expect(first.latest.status).toBe("completed");
    const last = events.at(-1);
    expect(last.task.id).toBe("run-b/chat/support");
    expect([last.latest.run_id, last.latest.in_flight, last.requestRate]).toEqual(["run-c", 4, 10]);
  });
});

describe("record files", () => {
  it("answer concurrent first requests with the whole index", async () => {
    const { RecordFile } = await import("./record-file.js");
    const f = new RecordFile(join(dir, "out", "run-a", "chat", "support", "data.jsonl"));
    const [a, b, c] = await Promise.all([
      f.count(),
      f.page({ offset: 0, limit: 5 }),
      f.page({ offset: 118, limit: 5 }),
    ]);
    expect([a, b.total, c.rows.map((r) => r.index)]).toEqual([120, 120, [118, 119]]);
  });
});
