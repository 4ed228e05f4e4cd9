import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JsonlTelemetry } from "../../src/telemetry/jsonl-telemetry.js";
import { RotatingJsonlWriter } from "../../src/telemetry/rotating-writer.js";
import { telemetrySettings } from "../../src/telemetry/settings.js";

const temp = () => mkdtempSync(join(tmpdir(), "digit-tel-"));
const lines = (f: string) =>
  readFileSync(f, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("telemetry settings", () => {
  it("reads DiGiT's variables", () => {
    expect(telemetrySettings({}, "/w")).toMatchObject({
      enabled: true,
      dir: "/w/telemetry",
      recordPayloads: false,
      maxBytes: 100 * 1024 * 1024,
      retentionDays: 14,
    });
    for (const v of ["1", "true", "YES", " yes "])
      expect(telemetrySettings({ DGT_TELEMETRY_DISABLE: v }, "/w").enabled).toBe(false);
    for (const v of ["", "0", "no", "false"])
      expect(telemetrySettings({ DGT_TELEMETRY_DISABLE: v }, "/w").enabled).toBe(true);
    expect(
      telemetrySettings(
        {
          DGT_TELEMETRY_DIR: "t2",
          DGT_TELEMETRY_RECORD_PAYLOADS: "true",
          DGT_TELEMETRY_MAX_BYTES: "1000",
        },
        "/w",
      ),
    ).toMatchObject({ dir: "/w/t2", recordPayloads: true, maxBytes: 1000 });
    expect(telemetrySettings({ DGT_TELEMETRY_MAX_BYTES: "lots" }, "/w").maxBytes).toBe(
      100 * 1024 * 1024,
    );
  });
});

describe("RotatingJsonlWriter", () => {
  it("rotates before a write would pass the limit, shifting older files, keeping at most maxFiles", () => {
    const dir = temp();
    const w = new RotatingJsonlWriter(join(dir, "events.jsonl"), {
      maxBytes: 100,
      retentionDays: 14,
      maxFiles: 2,
    });
    const line = (i: number) => `${JSON.stringify({ i, pad: "x".repeat(30) })}\n`; // 47 bytes
    for (let i = 0; i < 9; i++) w.writeLine(line(i));
    w.close();
    // 2 lines per file: active has 8; .1 has 6,7; .2 has 4,5; 0-3 pruned (maxFiles 2).
    expect(readdirSync(dir).sort()).toEqual(["events.1.jsonl", "events.2.jsonl", "events.jsonl"]);
    expect(lines(join(dir, "events.jsonl")).map((r) => r.i)).toEqual([8]);
    expect(lines(join(dir, "events.1.jsonl")).map((r) => r.i)).toEqual([6, 7]);
    expect(lines(join(dir, "events.2.jsonl")).map((r) => r.i)).toEqual([4, 5]);
    for (const f of readdirSync(dir))
      expect(readFileSync(join(dir, f)).length).toBeLessThanOrEqual(100);
  });

  it("prunes rotated files older than the retention when it opens", () => {
    const dir = temp();
    writeFileSync(join(dir, "traces.1.jsonl"), "{}\n");
    writeFileSync(join(dir, "traces.2.jsonl"), "{}\n");
    const old = new Date(Date.now() - 20 * 86_400_000);
    utimesSync(join(dir, "traces.2.jsonl"), old, old);
    const w = new RotatingJsonlWriter(join(dir, "traces.jsonl"), {
      maxBytes: 1e6,
      retentionDays: 14,
      maxFiles: 10,
    });
    w.writeLine("{}\n");
    w.close();
    expect(readdirSync(dir).sort()).toEqual(["traces.1.jsonl", "traces.jsonl"]);
  });

  it("appends to an existing file and counts its size", () => {
    const dir = temp();
    writeFileSync(join(dir, "e.jsonl"), `${"y".repeat(95)}\n`);
    const w = new RotatingJsonlWriter(join(dir, "e.jsonl"), {
      maxBytes: 100,
      retentionDays: 14,
      maxFiles: 3,
    });
    w.writeLine('{"a":1}\n');
    w.close();
    expect(readFileSync(join(dir, "e.jsonl"), "utf8")).toBe('{"a":1}\n');
    expect(readFileSync(join(dir, "e.1.jsonl"), "utf8")).toBe(`${"y".repeat(95)}\n`);
  });
});

describe("JsonlTelemetry", () => {
  it("creates nothing when disabled", async () => {
    const dir = join(temp(), "tel");
    const t = new JsonlTelemetry(
      telemetrySettings({ DGT_TELEMETRY_DIR: dir, DGT_TELEMETRY_DISABLE: "1" }),
      { buildId: "b" },
    );
    t.event("run_started");
    await t.withSpan("dgt.run", {}, async () => undefined);
    await t.close();
    expect(existsSync(dir)).toBe(false);
  });

  it("writes events with their span and spans with ids, parents (explicit or the scope's) and status", async () => {
    const dir = join(temp(), "tel");
    const t = new JsonlTelemetry(telemetrySettings({ DGT_TELEMETRY_DIR: dir }), {
      buildId: "b1",
      runId: "r1",
    });
    await t.withSpan("dgt.run", { builder_name: "x" }, async (run) => {
      const inRun = t.scoped(run);
      expect([t.currentSpan(), inRun.currentSpan()]).toEqual([undefined, run]);
      inRun.event("task_started", { task_name: "t" });
      await inRun.withSpan("dgt.block", { block_name: "gen" }, async (block) => {
        const call = inRun.startSpan(
          "dgt.llm_call",
          {
            prompt_tokens: 3,
            prompt: "secret prompt",
            messages: [{ role: "user" }],
            completion: "c",
          },
          block,
        );
        call.end("error", new TypeError("boom"));
        inRun.event("data_point_rejected", { count: 1 }, block);
      });
      await inRun
        .withSpan("dgt.block", {}, async () =>
          Promise.reject(Object.assign(new Error("stop"), { name: "AbortError" })),
        )
        .catch(() => undefined);
    });
    await t.close();
    const [event, rejected] = lines(join(dir, "events.jsonl"));
    const spans = lines(join(dir, "traces.jsonl"));
    const run = spans.find((s) => s.span_name === "dgt.run")!;
    const block = spans.find((s) => s.span_name === "dgt.block" && s.block_name === "gen")!;
    const call = spans.find((s) => s.span_name === "dgt.llm_call")!;
    expect(event).toMatchObject({
      event: "task_started",
      build_id: "b1",
      run_id: "r1",
      span_id: run.span_id,
      span_name: "dgt.run",
      task_name: "t",
    });
    expect(run).toMatchObject({
      parent_span_id: null,
      parent_span_name: null,
      status: "ok",
      builder_name: "x",
    });
    expect(block).toMatchObject({ parent_span_id: run.span_id, parent_span_name: "dgt.run" });
    expect(call).toMatchObject({
      parent_span_id: block.span_id,
      parent_span_name: "dgt.block",
      status: "error",
      error: "boom",
      error_type: "TypeError",
      prompt_tokens: 3,
    });
    expect(rejected).toMatchObject({
      event: "data_point_rejected",
      span_id: block.span_id,
      span_name: "dgt.block",
    });
    // Payloads are dropped unless DGT_TELEMETRY_RECORD_PAYLOADS is set.
    expect(call).not.toHaveProperty("prompt");
    expect(call).not.toHaveProperty("messages");
    expect(call).not.toHaveProperty("completion");
    expect(
      spans.find((s) => s.span_name === "dgt.block" && s.block_name === undefined)!.status,
    ).toBe("cancelled");
    for (const s of spans)
      expect(Date.parse(String(s.end_time)) - Date.parse(String(s.start_time))).toBeCloseTo(
        Number(s.duration_ms),
        -1,
      );
  });

  it("keeps payloads when asked", async () => {
    const dir = join(temp(), "tel");
    const t = new JsonlTelemetry(
      telemetrySettings({ DGT_TELEMETRY_DIR: dir, DGT_TELEMETRY_RECORD_PAYLOADS: "yes" }),
      { buildId: "b" },
    );
    t.startSpan("dgt.llm_call", { prompt: "p", completion: "c" }).end();
    await t.close();
    expect(lines(join(dir, "traces.jsonl"))[0]).toMatchObject({ prompt: "p", completion: "c" });
  });

  it("never loses a record to an attribute JSON cannot encode", async () => {
    const dir = join(temp(), "tel");
    const t = new JsonlTelemetry(telemetrySettings({ DGT_TELEMETRY_DIR: dir }), { buildId: "b" });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    t.event("odd", { big: 10n, cyclic, err: new RangeError("r"), fn: () => 1 });
    await t.close();
    expect(lines(join(dir, "events.jsonl"))[0]).toMatchObject({
      big: "10",
      cyclic: { a: 1, self: "[Circular]" },
      err: { name: "RangeError", message: "r" },
    });
  });
});
