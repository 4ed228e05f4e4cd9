import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, digit, parseJsonl, ROOT, tempDir } from "../cli/helpers.js";
import { type FakeLLM, startFakeLLM } from "../support/fake-llm/index.js";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}

interface OtlpPoint {
  attributes: { key: string; value: Record<string, unknown> }[];
  asDouble?: number;
  asInt?: number | string;
  count?: number | string;
  sum?: number;
}

/** One metric of one export, as the JSON encoding of OTLP has it. */
interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: OtlpPoint[]; isMonotonic?: boolean };
  histogram?: { dataPoints: OtlpPoint[] };
}

/**
 * A loopback OTLP/HTTP receiver (JSON encoding): keeps every span posted to /v1/traces and every
 * export of metrics posted to /v1/metrics.
 */
async function startReceiver(): Promise<{
  url: string;
  spans: OtlpSpan[];
  exports: { resource: unknown; metrics: OtlpMetric[] }[];
  paths: string[];
  server: Server;
  resources: unknown[];
}> {
  const spans: OtlpSpan[] = [];
  const exports: { resource: unknown; metrics: OtlpMetric[] }[] = [];
  const paths: string[] = [];
  const resources: unknown[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      paths.push(`${req.method} ${req.url} ${req.headers["content-type"]}`);
      const doc = JSON.parse(body) as {
        resourceSpans?: { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[];
        resourceMetrics?: { resource: unknown; scopeMetrics: { metrics: OtlpMetric[] }[] }[];
      };
      for (const rm of doc.resourceMetrics ?? [])
        exports.push({ resource: rm.resource, metrics: rm.scopeMetrics.flatMap((s) => s.metrics) });
      for (const rs of doc.resourceSpans ?? []) {
        resources.push(rs.resource);
        for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    exports,
    paths,
    server,
    resources,
  };
}

const attr = (s: OtlpSpan, key: string): unknown => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
};

describe("OpenTelemetry export of a run's spans", () => {
  let fake: FakeLLM;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const work = tempDir();
  let run: CliResult;

  beforeAll(async () => {
    fake = await startFakeLLM({
      responses: ["Question: Which city is number {{n}}?\nAnswer: City {{n}}"],
    });
    receiver = await startReceiver();
    const env = {
      FAKE_LLM_BASE_URL: fake.openaiBaseURL,
      DGT_TELEMETRY_DISABLE: "",
      DGT_TELEMETRY_DIR: join(work, "telemetry"),
      OTEL_SERVICE_NAME: "sdg-test",
    };
    run = await digit(
      [
        "run",
        join(ROOT, "tasks/public/examples/qa/task.yaml"),
        "--include-namespaces",
        "public",
        "--config-path",
        join(ROOT, "test/cli/fixtures/openai-qa.yaml"),
        "--output-dir",
        join(work, "out"),
        "--num-outputs-to-generate",
        "4",
        "--otlp-endpoint",
        receiver.url,
      ],
      { cwd: work, env },
    );
  }, 120_000);
  afterAll(async () => {
    await fake?.close();
    receiver?.server.close();
  });

  it("sends the span tree of traces.jsonl to the collector's /v1/traces", () => {
    expect(run.code, run.stderr).toBe(0);
    const traces = parseJsonl(readFileSync(join(work, "telemetry", "traces.jsonl"), "utf8"));
    expect(traces.length).toBeGreaterThan(3);
    const traced = receiver.paths.filter((p) => !p.startsWith("POST /v1/metrics "));
    expect(traced.every((p) => p.startsWith("POST /v1/traces application/json"))).toBe(true);
    const hex = (uuid: unknown) => String(uuid).replace(/-/g, "");
    // Same spans, same names, same parents (ids mapped to OpenTelemetry's sizes).
    const sent = receiver.spans.map((s) => `${s.name} ${s.spanId} ${s.parentSpanId || "-"}`).sort();
    const written = traces
      .map(
        (t) =>
          `${String(t.span_name)} ${hex(t.span_id).slice(0, 16)} ${t.parent_span_id ? hex(t.parent_span_id).slice(0, 16) : "-"}`,
      )
      .sort();
    expect(sent).toEqual(written);
    // One trace per run, its id the run id.
    expect(new Set(receiver.spans.map((s) => s.traceId))).toEqual(
      new Set([hex(traces[0]?.run_id)]),
    );
    const llm = receiver.spans.find((s) => s.name === "dgt.llm_call");
    const llmLine = traces.find((t) => t.span_name === "dgt.llm_call");
    expect(attr(llm!, "run_id")).toBe(llmLine?.run_id);
    expect(JSON.stringify(receiver.resources)).toContain("sdg-test");
  });

  it("sends the run's metrics to /v1/metrics: the run summary's figures and a latency histogram", () => {
    expect(receiver.paths).toContain(`POST /v1/metrics application/json`);
    const summary = JSON.parse(readFileSync(join(work, "out", "run_summary.json"), "utf8")) as {
      tasks: Record<string, number>[];
    };
    const t = summary.tasks[0]!;
    // The last export has the final values (sent at shutdown); counters are cumulative.
    const last = receiver.exports.at(-1)!;
    expect(JSON.stringify(last.resource)).toContain("sdg-test");
    const metric = (name: string) => last.metrics.find((m) => m.name === name);
    const value = (p: OtlpPoint) => Number(p.asDouble ?? p.asInt ?? 0);
    const points = (name: string, key: string) =>
      Object.fromEntries(
        (metric(name)?.sum?.dataPoints ?? []).map((p) => [
          p.attributes
            .filter((a) => a.key === key)
            .map((a) => Object.values(a.value)[0])
            .join(),
          value(p),
        ]),
      );
    const task = "public/examples/geography_qa";
    expect(points("digit.requests", "status")).toEqual({ ok: t.requests, failed: 0 });
    expect(points("digit.tokens", "direction")).toEqual({
      input: t.prompt_tokens,
      output: t.completion_tokens,
    });
    expect(points("digit.records.accepted", "task")).toEqual({ [task]: 4 });
    expect(points("digit.requests.in_flight", "task")).toEqual({ [task]: 0 });
    expect(points("digit.cache.lookups", "result")).toEqual({ hit: 0, miss: t.requests });
    expect(metric("digit.requests")?.sum?.isMonotonic).toBe(true);
    // No price for the fake model: no cost figure (as run_summary.json has null).
    expect(metric("digit.cost")?.sum?.dataPoints ?? []).toEqual([]);
    const latency = metric("digit.request.duration")?.histogram?.dataPoints ?? [];
    expect(metric("digit.request.duration")?.unit).toBe("ms");
    expect(latency.reduce((s, p) => s + Number(p.count), 0)).toBe(t.requests);
    expect(latency.every((p) => (p.sum ?? 0) > 0)).toBe(true);
  });

  it("sends nothing unless asked", async () => {
    const before = receiver.spans.length;
    const exportsBefore = receiver.exports.length;
    const quiet = await digit(
      [
        "run",
        join(ROOT, "tasks/public/examples/qa/task.yaml"),
        "--include-namespaces",
        "public",
        "--config-path",
        join(ROOT, "test/cli/fixtures/openai-qa.yaml"),
        "--output-dir",
        join(work, "out2"),
        "--num-outputs-to-generate",
        "2",
      ],
      { cwd: work, env: { FAKE_LLM_BASE_URL: fake.openaiBaseURL } },
    );
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(receiver.spans.length).toBe(before);
    expect(receiver.exports.length).toBe(exportsBefore);
  });

  it("sends metrics alone with OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", async () => {
    const only = await startReceiver();
    try {
      const r = await digit(
        [
          "run",
          join(ROOT, "tasks/public/examples/qa/task.yaml"),
          "--include-namespaces",
          "public",
          "--config-path",
          join(ROOT, "test/cli/fixtures/openai-qa.yaml"),
          "--output-dir",
          join(work, "out5"),
          "--num-outputs-to-generate",
          "2",
        ],
        {
          cwd: work,
          env: {
            FAKE_LLM_BASE_URL: fake.openaiBaseURL,
            OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${only.url}/v1/metrics`,
          },
        },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(only.spans).toEqual([]);
      expect(new Set(only.paths)).toEqual(new Set(["POST /v1/metrics application/json"]));
      const accepted = only.exports
        .at(-1)
        ?.metrics.find((m) => m.name === "digit.records.accepted");
      expect(accepted?.sum?.dataPoints.map((p) => Number(p.asDouble ?? p.asInt))).toEqual([2]);
    } finally {
      only.server.close();
    }
  });

  it("warns, and still succeeds, when the collector is unreachable", async () => {
    const closed = await startReceiver();
    closed.server.close();
    const env = { FAKE_LLM_BASE_URL: fake.openaiBaseURL, OTEL_EXPORTER_OTLP_TIMEOUT: "1000" };
    const r = await digit(
      [
        "run",
        join(ROOT, "tasks/public/examples/qa/task.yaml"),
        "--include-namespaces",
        "public",
        "--config-path",
        join(ROOT, "test/cli/fixtures/openai-qa.yaml"),
        "--output-dir",
        join(work, "out4"),
        "--num-outputs-to-generate",
        "2",
        "--otlp-endpoint",
        closed.url,
      ],
      { cwd: work, env },
    );
    expect(r.code, r.stderr).toBe(0);
    // Once for the spans, once for the metrics.
    expect(r.stderr.match(/OpenTelemetry export failed: connect ECONNREFUSED/g)?.length).toBe(2);
    expect(
      existsSync(join(work, "out4", "public", "examples", "geography_qa", "final_data.jsonl")),
    ).toBe(true);
  });

  it("refuses an endpoint that is not a URL before writing anything", async () => {
    const bad = await digit(
      [
        "run",
        join(ROOT, "tasks/public/examples/qa/task.yaml"),
        "--include-namespaces",
        "public",
        "--output-dir",
        join(work, "out3"),
        "--otlp-endpoint",
        "127.0.0.1:4318",
      ],
      { cwd: work },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--otlp-endpoint '127.0.0.1:4318' is not an http(s) URL");
    expect(bad.stderr).toContain("DIGIT_USAGE");
    expect(existsSync(join(work, "out3"))).toBe(false);
  });
});
