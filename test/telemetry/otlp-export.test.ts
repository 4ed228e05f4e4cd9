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

/** A loopback OTLP/HTTP receiver: keeps every span posted to /v1/traces (JSON encoding). */
async function startReceiver(): Promise<{
  url: string;
  spans: OtlpSpan[];
  paths: string[];
  server: Server;
  resources: unknown[];
}> {
  const spans: OtlpSpan[] = [];
  const paths: string[] = [];
  const resources: unknown[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      paths.push(`${req.method} ${req.url} ${req.headers["content-type"]}`);
      const doc = JSON.parse(body) as {
        resourceSpans: { resource: unknown; scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      for (const rs of doc.resourceSpans) {
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
    expect(receiver.paths.every((p) => p.startsWith("POST /v1/traces application/json"))).toBe(
      true,
    );
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

  it("sends nothing unless asked", async () => {
    const before = receiver.spans.length;
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
    expect(r.stderr).toContain("OpenTelemetry export failed: connect ECONNREFUSED");
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
