import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { baseTaskSchema, generationRunnerConfigSchema } from "../config/schemas.js";
import { Registry } from "../registry/registry.js";
import { silentLogger } from "../telemetry/logger.js";
import { Random } from "../util/random.js";
import { GenerationTask } from "./generation-task.js";

async function openTask(seeds: number, runner: Record<string, unknown>) {
  const task = new GenerationTask({
    spec: baseTaskSchema.parse({
      task_name: "t/batches",
      data_builder: "b",
      seed_examples: Array.from({ length: seeds }, (_, i) => ({ text: `seed ${i}` })),
    }),
    file: undefined,
    builderName: "b",
    runnerConfig: generationRunnerConfigSchema.parse({
      output_dir: mkdtempSync(join(tmpdir(), "digit-batch-")),
      ...runner,
    }),
    restart: true,
    registry: await Registry.open({ cwd: tmpdir() }),
    rng: new Random(1),
    logger: silentLogger,
    buildId: "exp",
    outputFields: undefined,
    formatter: undefined,
  });
  await task.open();
  return task;
}

describe("GenerationTask batches", () => {
  it("never puts one seed twice in a batch, and never gives a short batch at the wrap-around", async () => {
    const task = await openTask(3, {
      num_outputs_to_generate: 100,
      seed_batch_size: 5,
      machine_batch_size: 0,
    });
    for (let i = 0; i < 4; i++) {
      const { rows } = await task.nextBatch();
      expect(rows.map((r) => r.text).sort()).toEqual(["seed 0", "seed 1", "seed 2"]);
    }
  });

  it("continues across the end of the seed list without restarting the batch", async () => {
    const task = await openTask(5, {
      num_outputs_to_generate: 100,
      seed_batch_size: 3,
      machine_batch_size: 0,
    });
    const batches = [];
    for (let i = 0; i < 3; i++) batches.push((await task.nextBatch()).rows.map((r) => r.text));
    expect(batches).toEqual([
      ["seed 0", "seed 1", "seed 2"],
      ["seed 3", "seed 4", "seed 0"],
      ["seed 1", "seed 2", "seed 3"],
    ]);
  });

  it("mixes in at most machine_batch_size earlier records, marked as not seeds", async () => {
    const task = await openTask(2, {
      num_outputs_to_generate: 100,
      seed_batch_size: 2,
      machine_batch_size: 3,
    });
    await task.commit(
      Array.from({ length: 10 }, (_, i) => ({ text: `made ${i}` })),
      { iter_index: 0, row_index: 0 },
    );
    const { rows } = await task.nextBatch();
    expect(rows.filter((r) => r.is_seed === true)).toHaveLength(2);
    const machine = rows.filter((r) => r.is_seed === false);
    expect(machine).toHaveLength(3);
    expect(new Set(machine.map((r) => r.text)).size).toBe(3);
  });
  it("commits several batches at once exactly as one after the other", async () => {
    const batch = (b: number, texts: string[]) => ({
      rows: texts.map((text) => ({ text })),
      position: { iter_index: 0, row_index: b, batches: b + 1, draws: b + 1 },
    });
    const batches = [batch(0, ["a", "b"]), batch(1, ["b", "c"]), batch(2, []), batch(3, ["d"])];
    const oneByOne = await openTask(1, { num_outputs_to_generate: 10 });
    const counts: number[] = [];
    for (const b of batches) counts.push(await oneByOne.commit(b.rows, b.position));
    const together = await openTask(1, { num_outputs_to_generate: 10 });
    expect(await together.commitMany(batches)).toEqual(counts);
    expect(counts).toEqual([2, 1, 0, 1]);
    const files = (t: GenerationTask) =>
      ["data.jsonl", "dataloader_state.jsonl", "blocks/duplicates.jsonl"].map((f) =>
        readFileSync(join(t.dir, f), "utf8"),
      );
    await oneByOne.close();
    await together.close();
    expect(files(together)).toEqual(files(oneByOne));
    expect(together.checkpoint).toEqual(oneByOne.checkpoint);
    expect(together.checkpoint).toMatchObject({ data_rows: 4, draws: 4, accepted: 4 });
  });
});
