import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CsvFile } from "../../src/stores/formats/csv.js";
import { encodeParquet } from "../../src/stores/formats/parquet/file.js";

const jsonl = (rows: readonly unknown[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join("");

/** A chat record with a tool call, as a conversation builder writes it. */
function chat(i: number, topic: string): Record<string, unknown> {
  return {
    task_name: "chat/support",
    is_seed: false,
    topic,
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: `Question ${i} about ${topic}: what is the weather in city ${i}?` },
      {
        role: "assistant",
        content: "",
        tool_calls: [
          {
            id: `call_${i}`,
            type: "function",
            function: { name: "get_weather", arguments: JSON.stringify({ city: `city ${i}` }) },
          },
        ],
      },
      {
        role: "tool",
        tool_call_id: `call_${i}`,
        content: `{"forecast":"sunny","celsius":${10 + (i % 20)}}`,
      },
      { role: "assistant", content: `It is sunny in city ${i}, ${10 + (i % 20)} degrees.` },
    ],
    score: i % 7,
    id: `rec${String(i).padStart(4, "0")}`,
  };
}

/**
 * An output folder of the shape `digit run` writes, with two runs of one chat task (run-a,
 * run-b) and a geography task with CSV and Parquet outputs, rejects in `blocks/`, postprocessing
 * epochs, task results and run summaries.
 */
export async function writeStudioFixture(root: string, records = 120): Promise<void> {
  for (const [run, n, rejected] of [
    ["run-a", records, 9],
    ["run-b", Math.floor(records / 2), 30],
  ] as const) {
    const task = join(root, run, "chat", "support");
    await mkdir(join(task, "blocks"), { recursive: true });
    const rows = Array.from({ length: n }, (_, i) => chat(i, i % 3 === 0 ? "weather" : "travel"));
    await writeFile(join(task, "data.jsonl"), jsonl(rows));
    await writeFile(join(task, "postproc_data_1.jsonl"), jsonl(rows.slice(0, n - 2)));
    await writeFile(join(task, "final_data.jsonl"), jsonl(rows.slice(0, n - 2)));
    const rejects = Array.from({ length: rejected }, (_, i) => ({
      ...chat(1000 + i, "weather"),
      block_name: "length_check",
      reason: i % 3 === 0 ? `answer too short (${i} chars)` : "no tool result used",
    }));
    await writeFile(join(task, "blocks", "length_check.jsonl"), jsonl(rejects));
    await writeFile(
      join(task, "blocks", "duplicates.jsonl"),
      jsonl([
        {
          ...chat(1, "travel"),
          block_name: "duplicates",
          reason: "exact duplicate of record rec0001",
        },
      ]),
    );
    const metrics = {
      "Number of data produced": n - 2,
      records: n - 2,
      target: n - 2,
      rejected: { length_check: rejected, duplicates: 1 },
      requests: n * 2,
      failed_requests: 3,
      failures: { "429": 2, timeout: 1 },
      prompt_tokens: n * 120,
      completion_tokens: n * 40,
    };
    await writeFile(
      join(task, "task_results.jsonl"),
      jsonl([
        {
          PID: 1,
          status: "running",
          start_time: 1,
          end_time: null,
          metrics: { "Number of data produced": 0 },
        },
        { PID: 1, status: "completed", start_time: 1, end_time: 9, metrics },
      ]),
    );
    // A line every 2 s of the run, as `digit run` writes progress.jsonl.
    const steps = 30;
    const progress = Array.from({ length: steps + 1 }, (_, k) => ({
      time: new Date(Date.UTC(2026, 11, 4, 10, 0, 2 * k)).toISOString(),
      build_id: "exp",
      run_id: run,
      task_name: "chat/support",
      status: k === steps ? "completed" : "running",
      records: Math.round(((n - 2) * k) / steps),
      target: n - 2,
      rejected: Math.round((rejected * k) / steps),
      requests: 2 * Math.round((n * k) / steps),
      failed_requests: k > 20 ? 3 : 0,
      failed_attempts: k > 20 ? 3 : k > 10 ? 1 : 0,
      in_flight: k === steps ? 0 : 2 + (k % 4),
      prompt_tokens: 240 * Math.round((n * k) / steps),
      completion_tokens: 80 * Math.round((n * k) / steps),
      cost_usd: Math.round(n * 0.001 * (k / steps) * 1e6) / 1e6,
      cache_hits: 0,
    }));
    await writeFile(join(task, "progress.jsonl"), jsonl(progress));
    await writeFile(
      join(root, run, "run_summary.json"),
      JSON.stringify(
        {
          build_id: "exp",
          run_id: run,
          started_at: "2026-12-04T10:00:00.000Z",
          ended_at: "2026-12-04T10:01:00.000Z",
          tasks: [
            {
              task: "chat/support",
              status: "completed",
              records: n - 2,
              rejected: metrics.rejected,
              requests: metrics.requests,
              failed_requests: 3,
              failures: metrics.failures,
              prompt_tokens: metrics.prompt_tokens,
              completion_tokens: metrics.completion_tokens,
              cost_usd: n * 0.001,
              output: join(root, run, "chat", "support"),
            },
          ],
          totals: { records: n - 2 },
        },
        null,
        2,
      ),
    );
  }
  const geo = join(root, "run-a", "geo", "capitals");
  await mkdir(geo, { recursive: true });
  const cities = Array.from({ length: 30 }, (_, i) => ({
    task_name: "geo/capitals",
    is_seed: false,
    question: `Capital of land ${i}?`,
    answer: `City ${i}`,
    tags: ["geo", `t${i % 4}`],
    id: `g${i}`,
  }));
  await new CsvFile(join(geo, "data.csv")).append(cities);
  await writeFile(join(geo, "final_data.parquet"), encodeParquet(cities));
  await writeFile(
    join(geo, "task_results.jsonl"),
    jsonl([{ PID: 1, status: "completed", start_time: 1, end_time: 2, metrics: { records: 30 } }]),
  );
}

/** A telemetry folder whose traces.jsonl holds LLM call spans of the fixture's run-a. */
export async function writeStudioTelemetry(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const lines = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({
      span_name: "dgt.llm_call",
      span_id: `s${i}`,
      run_id: "run-a",
      start_time: new Date(Date.UTC(2026, 11, 4, 10, 0, i)).toISOString(),
      duration_ms: 80 + ((i * 137) % 900),
      status: i % 13 === 0 ? "error" : "ok",
      prompt_tokens: 120,
      completion_tokens: 40,
    }),
  );
  lines.push(...payloadSpans());
  await writeFile(join(dir, "traces.jsonl"), `${lines.join("\n")}\n`);
}

/**
 * `dgt.llm_call` spans of run-a whose prompts and answers were recorded
 * (DGT_TELEMETRY_RECORD_PAYLOADS=1): the request that answered record rec0005 of chat/support,
 * one that showed it as an example, and one of another record.
 */
export function payloadSpans(): string[] {
  const call = (i: number, messages: unknown, completion: string) =>
    JSON.stringify({
      span_name: "dgt.llm_call",
      span_id: `p${i}`,
      run_id: "run-a",
      start_time: new Date(Date.UTC(2026, 11, 4, 10, 1, i)).toISOString(),
      duration_ms: 240,
      status: "ok",
      provider: "openai",
      model_id: "fake-model",
      task_names: ["chat/support"],
      prompt_tokens: 60,
      completion_tokens: 12,
      messages: JSON.stringify(messages),
      completion,
    });
  const system = { role: "system", content: "You are a helpful assistant." };
  return [
    call(
      0,
      [system, { role: "user", content: "Write a support chat about city 5." }],
      [
        "Question 5 about travel: what is the weather in city 5?",
        "It is sunny in city 5, 15 degrees.",
      ].join("\n"),
    ),
    call(
      1,
      [
        system,
        { role: "user", content: "Like: Question 5 about travel: what is the weather in city 5?" },
      ],
      "Question 9 about travel: is it windy in city 9?",
    ),
    call(
      2,
      [system, { role: "user", content: "Write a support chat about city 7." }],
      "It is sunny in city 7, 17 degrees.",
    ),
  ];
}
