import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { FIRST_RECORD_BUDGET } from "../../src/engine/generation-loop.js";
import { OutputLockedError, RoutingError } from "../../src/errors.js";
import { readJsonl, runFixture, task, tempDir, writeTask } from "./helpers.js";

describe("generation loop", () => {
  it("serves two tasks with one builder and routes records back by task_name", async () => {
    const out = tempDir();
    const result = await runFixture({ taskPaths: [task("gen_a"), task("gen_b")], outputDir: out });
    expect(result.error).toBeUndefined();
    expect(result.outcomes.map((o) => [o.task, o.status]).sort()).toEqual([
      ["test/gen_a", "completed"],
      ["test/gen_b", "completed"],
    ]);
    const a = readJsonl(join(out, "test/gen_a/final_data.jsonl"));
    const b = readJsonl(join(out, "test/gen_b/final_data.jsonl"));
    expect(a).toHaveLength(2); // default num_outputs_to_generate
    expect(b).toHaveLength(7); // from the task's runner_config
    expect(
      a.every((r) => r.task_name === "test/gen_a" && String(r.text).endsWith("of test/gen_a")),
    ).toBe(true);
    expect(
      b.every((r) => r.task_name === "test/gen_b" && String(r.text).endsWith("of test/gen_b")),
    ).toBe(true);
    // One mock block served both tasks: its request numbers never repeat across them.
    const numbers = [...a, ...b].map((r) => Number(/item (\d+)/.exec(String(r.text))![1]));
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const r of [...a, ...b]) {
      expect(Object.keys(r)).toEqual(["task_name", "is_seed", "text", "id"]);
      expect(r.is_seed).toBe(false);
      expect(r.id).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it("applies the postprocessor to all records and records its rejects with a reason", async () => {
    const out = tempDir();
    await runFixture({ taskPaths: [task("gen_b")], outputDir: out, numOutputsToGenerate: 40 });
    const final = readJsonl(join(out, "test/gen_b/final_data.jsonl"));
    expect(final).toHaveLength(40);
    expect(final.some((r) => /item \d*7 /.test(String(r.text)))).toBe(false);
    const rejects = readJsonl(join(out, "test/gen_b/blocks/check.jsonl"));
    expect(rejects.length).toBeGreaterThan(0);
    expect(
      rejects.every(
        (r) =>
          r.reason === "ends in seven" &&
          r.block_name === "check" &&
          /item \d*7 /.test(String(r.text)),
      ),
    ).toBe(true);
    const results = readJsonl(join(out, "test/gen_b/task_results.jsonl"));
    expect(results.map((r) => r.status)).toEqual(["running", "completed"]);
    const metrics = results[1]!.metrics as Record<string, unknown>;
    expect(metrics.records).toBe(40);
    expect((metrics.rejected as Record<string, number>).check).toBe(rejects.length);
    expect(metrics.requests).toBeGreaterThanOrEqual(40);
    expect(existsSync(join(out, "test/gen_b/postproc_data_1.jsonl"))).toBe(true);
  });

  it("a task without seeds stops with a clear status instead of looping", async () => {
    const dir = tempDir();
    const file = writeTask(
      dir,
      "t.yaml",
      "task_name: test/no_seeds\ndata_builder: test/echo_gen\n",
    );
    const result = await runFixture({ taskPaths: [file], outputDir: dir });
    expect(result.outcomes[0]!.status).toBe("stalled_generation");
    expect(readJsonl(join(dir, "test/no_seeds/task_results.jsonl")).at(-1)!.status).toBe(
      "stalled_generation",
    );
  });

  it("stops early when batches produce nothing, long before max_stalled_attempts", async () => {
    const dir = tempDir();
    // The geography QA builder cannot read these replies, so no batch makes a record.
    const file = writeTask(
      dir,
      "o.yaml",
      'databuilders:\n  public/examples/geography_qa:\n    blocks:\n      - name: generator\n        type: mock\n        responses: ["I do not know."]\n',
    );
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (m: string) => void warnings.push(m),
      error() {},
      child: () => logger,
    };
    const qa = resolve(import.meta.dirname, "../../tasks/public/examples/qa/task.yaml");
    const result = await runFixture({
      taskPaths: [qa],
      namespaces: ["public"],
      cwd: resolve(import.meta.dirname, "../.."),
      outputDir: join(dir, "out"),
      configPath: file,
      numOutputsToGenerate: 500,
      logger,
    });
    expect(result.outcomes[0]!.status).toBe("stalled_generation");
    const stalled = warnings.filter((w) =>
      w.includes("stalled: the builder made nothing of its first"),
    );
    expect(stalled).toHaveLength(1);
    expect(stalled[0]).toContain('A reply: "I do not know."');
    expect(stalled[0]).toContain("DGT_TELEMETRY_RECORD_PAYLOADS=1");
    // The mock answers at once: the loop still commits as it goes (it once kept starting calls
    // without committing and never stalled), and batches that make nothing are not multiplied to
    // fill spare capacity. One request per seed row (10) of each batch until the first-record
    // budget runs out, plus at most the 4 calls the default width keeps in flight.
    const requests = Number(
      (
        readJsonl(join(dir, "out/public/examples/geography_qa/task_results.jsonl")).at(-1)!
          .metrics as Record<string, unknown>
      ).requests,
    );
    expect(requests).toBeGreaterThanOrEqual(FIRST_RECORD_BUDGET);
    expect(requests).toBeLessThanOrEqual(FIRST_RECORD_BUDGET + 40);
  }, 20_000);

  it("a builder that throws marks its tasks errored and reports the error", async () => {
    const dir = tempDir();
    const file = writeTask(
      dir,
      "t.yaml",
      `${"task_name: test/fails\ndata_builder: test/echo_gen\nfail_on_batch: 2\nruntime: x\n".replace("runtime: x\n", "")}seed_examples:\n  - text: s\nrunner_config:\n  num_outputs_to_generate: 500\n  seed_batch_size: 1\n  machine_batch_size: 0\n`,
    );
    const result = await runFixture({ taskPaths: [file], outputDir: dir });
    expect(String((result.error as Error).message)).toContain("builder failure on batch 2");
    expect(result.outcomes[0]!.status).toBe("errored");
    const last = readJsonl(join(dir, "test/fails/task_results.jsonl")).at(-1)!;
    expect(last.status).toBe("errored");
    expect(last.message).toContain("builder failure on batch 2");
  });

  it("a record for a task the builder does not serve is an error naming it", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "plugins/bad"), { recursive: true });
    writeFileSync(join(dir, "plugins/bad/builder.yaml"), "name: test/misroute\n");
    writeFileSync(
      join(dir, "plugins/bad/builder.ts"),
      `import { GenerationDataBuilder, registerDataBuilder, type Row } from "digit-sdg";
@registerDataBuilder("test/misroute")
export class Misroute extends GenerationDataBuilder {
  async call(_i: number, batch: Row[]) { return batch.map(() => ({ task_name: "nobody/here", x: 1 })); }
}
`,
    );
    const file = writeTask(
      dir,
      "t.yaml",
      "task_name: test/misroute_task\ndata_builder: test/misroute\nseed_examples: [{x: 0}]\n",
    );
    const result = await runFixture({
      taskPaths: [file],
      outputDir: join(dir, "out"),
      pluginDirs: [join(dir, "plugins")],
    });
    expect(result.error).toBeInstanceOf(RoutingError);
    expect((result.error as RoutingError).message).toContain('"nobody/here"');
  });
});

declare global {
  // Set by the fixture builder test/echo_gen (test/fixtures/engine/plugins/echo_gen/builder.ts).
  var __echoGenCalls: { now: number; peak: number } | undefined;
}

describe("builder calls in flight", () => {
  const probe = () => globalThis.__echoGenCalls!;
  const override = (dir: string, key: string) =>
    writeTask(
      dir,
      "override.yaml",
      `databuilders:\n  test/echo_gen:\n    ${key}\n    blocks:\n      - name: generator\n        latency_ms: 20\n`,
    );

  it.each([
    ["max_concurrent_batches: 3", 3],
    ["max_workers: 1", 1], // DiGiT's name for the same setting
    ["max_workers: 1\n    max_concurrent_batches: 2", 2], // the digit name wins
  ])("%s keeps at most that many builder calls running", async (key, width) => {
    const dir = tempDir();
    const file = override(dir, key);
    if (globalThis.__echoGenCalls) probe().peak = 0;
    const result = await runFixture({
      taskPaths: [task("gen_b")],
      outputDir: join(dir, "out"),
      configPath: file,
      numOutputsToGenerate: 30,
    });
    expect(result.error).toBeUndefined();
    expect(probe().peak).toBe(width);
  });

  it("without a fixed width, starts more calls while the LLM limit has spare capacity", async () => {
    const dir = tempDir();
    // One seed: the first batches have one row each, far below the limit of 16 requests.
    const file = writeTask(
      dir,
      "override.yaml",
      "databuilders:\n  test/echo_gen:\n    blocks:\n      - name: generator\n        latency_ms: 50\n        call_limit: 16\n",
    );
    if (globalThis.__echoGenCalls) probe().peak = 0;
    const result = await runFixture({
      taskPaths: [task("gen_b")],
      outputDir: join(dir, "out"),
      configPath: file,
      numOutputsToGenerate: 30,
    });
    expect(result.error).toBeUndefined();
    expect(result.outcomes[0]!.records).toBeGreaterThanOrEqual(30);
    expect(probe().peak).toBeGreaterThan(4); // the default width
    expect(probe().peak).toBeLessThanOrEqual(32); // the most calls filling may start
  });
});

declare global {
  // Set by the fixture builder test/echo_transform.
  var __echoTransformCalls: { now: number; peak: number } | undefined;
}

describe("transformation loop", () => {
  it("fills spare LLM capacity with more calls unless the width is fixed, keeping input order", async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 40 }, (_, i) => `{text: r${i}}`).join(", ");
    const file = writeTask(
      dir,
      "t.yaml",
      `task_name: test/many\ndata_builder: test/echo_transform\nrunner_config:\n  transform_batch_size: 1\ndata: [${rows}]\n`,
    );
    const override = (extra: string) =>
      writeTask(
        dir,
        `o${extra.length}.yaml`,
        `databuilders:\n  test/echo_transform:\n${extra}    blocks:\n      - name: model\n        latency_ms: 30\n        call_limit: 10\n`,
      );
    const peakWith = async (extra: string) => {
      if (globalThis.__echoTransformCalls) globalThis.__echoTransformCalls.peak = 0;
      const out = join(dir, `out${extra.length}`);
      await runFixture({
        taskPaths: [file],
        outputDir: out,
        configPath: override(extra),
        restart: true,
      });
      expect(readJsonl(join(out, "test/many/final_data.jsonl")).map((r) => r.text)).toEqual(
        Array.from({ length: 40 }, (_, i) => `r${i}`),
      );
      return globalThis.__echoTransformCalls!.peak;
    };
    // One-row batches fill the 10 slots (a call whose request is done may still be finishing).
    const filled = await peakWith("");
    expect(filled).toBeGreaterThanOrEqual(8);
    expect(filled).toBeLessThanOrEqual(32); // the most calls filling may start
    expect(await peakWith("    max_concurrent_batches: 4\n")).toBe(4);
  });

  it("transforms every input once, in input order, in batches", async () => {
    const out = tempDir();
    const result = await runFixture({
      taskPaths: [task("transform")],
      outputDir: out,
      restart: true,
      numOutputsToGenerate: 99,
    });
    expect(result.outcomes[0]!.status).toBe("completed");
    const rows = readJsonl(join(out, "test/transform/final_data.jsonl"));
    expect(rows.map((r) => r.text)).toEqual([
      "one",
      "two",
      "three",
      "four",
      "five",
      "six",
      "seven",
    ]);
    expect(rows.map((r) => r.answer)).toEqual([
      "upper: one",
      "upper: two",
      "upper: three",
      "upper: four",
      "upper: five",
      "upper: six",
      "upper: seven",
    ]);
    // Three batches of at most three rows: the all-zero line of a fresh start, then a checkpoint per batch.
    expect(
      readJsonl(join(out, "test/transform/dataloader_state.jsonl")).map((l) => l.data_rows),
    ).toEqual([0, 3, 6, 7]);
  });

  it("runs afresh after a completed run (as DiGiT), keeping identical outputs distinct", async () => {
    const dir = tempDir();
    const file = writeTask(
      dir,
      "t.yaml",
      "task_name: test/twins\ndata_builder: test/echo_transform\ndata: [{text: same}, {text: same}]\n",
    );
    await runFixture({ taskPaths: [file], outputDir: dir });
    await runFixture({ taskPaths: [file], outputDir: dir });
    const rows = readJsonl(join(dir, "test/twins/final_data.jsonl"));
    expect(rows).toHaveLength(2);
    expect(rows[0]!.id).not.toBe(rows[1]!.id);
    expect(readJsonl(join(dir, "test/twins/data.jsonl"))).toHaveLength(2);
  });
});

describe("restart and resume", () => {
  it("a completed generation task is not redone; --restart starts fresh", async () => {
    const out = tempDir();
    const first = await runFixture({ taskPaths: [task("gen_b")], outputDir: out });
    const m1 = first.metrics.task("test/gen_b");
    expect(m1.requests).toBeGreaterThan(0);
    const again = await runFixture({ taskPaths: [task("gen_b")], outputDir: out });
    expect(again.metrics.task("test/gen_b").requests).toBe(0);
    expect(readJsonl(join(out, "test/gen_b/final_data.jsonl"))).toHaveLength(7);
    expect(readJsonl(join(out, "test/gen_b/task_card.jsonl"))).toHaveLength(2);
    const cards = readJsonl(join(out, "test/gen_b/task_card.jsonl"));
    expect(cards[1]!.run_id).toBe(cards[0]!.run_id); // same build id: same execution chain
    const restarted = await runFixture({
      taskPaths: [task("gen_b")],
      outputDir: out,
      restart: true,
    });
    expect(restarted.metrics.task("test/gen_b").requests).toBeGreaterThan(0);
    expect(readJsonl(join(out, "test/gen_b/task_card.jsonl"))).toHaveLength(1);
  });

  it("a run that needs more records continues from the accepted ones", async () => {
    const out = tempDir();
    await runFixture({ taskPaths: [task("gen_b")], outputDir: out, numOutputsToGenerate: 10 });
    const firstIds = readJsonl(join(out, "test/gen_b/data.jsonl")).map((r) => r.id);
    await runFixture({ taskPaths: [task("gen_b")], outputDir: out, numOutputsToGenerate: 30 });
    const data = readJsonl(join(out, "test/gen_b/data.jsonl"));
    expect(data.slice(0, firstIds.length).map((r) => r.id)).toEqual(firstIds);
    expect(new Set(data.map((r) => r.id)).size).toBe(data.length);
    expect(readJsonl(join(out, "test/gen_b/final_data.jsonl"))).toHaveLength(30);
  });
});

describe("output lock", () => {
  it("refuses a folder held by a live process and takes over a stale lock", async () => {
    const out = tempDir();
    const dir = join(out, "test/gen_b");
    mkdirSync(dir, { recursive: true });
    const holder = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(dir, ".digit.lock"), JSON.stringify({ pid: holder.pid }));
      const err = await runFixture({ taskPaths: [task("gen_b")], outputDir: out }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OutputLockedError);
      expect((err as OutputLockedError).message).toContain(`pid ${holder.pid}`);
      expect(existsSync(join(dir, "data.jsonl"))).toBe(false);
    } finally {
      holder.kill("SIGKILL");
    }
    await new Promise((r) => holder.once("exit", r));
    const result = await runFixture({ taskPaths: [task("gen_b")], outputDir: out });
    expect(result.outcomes[0]!.status).toBe("completed");
    expect(existsSync(join(dir, ".digit.lock"))).toBe(false);
  });
});
