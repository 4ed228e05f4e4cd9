import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { GenerationDataBuilder, TransformationDataBuilder } from "../builders/databuilder.js";
import {
  baseBuilderSchema,
  baseTaskSchema,
  generationRunnerConfigSchema,
  type RunnerConfig,
  transformationRunnerConfigSchema,
} from "../config/schemas.js";
import { Registry } from "../registry/registry.js";
import { GenerationTask } from "../tasks/generation-task.js";
import { TransformationTask } from "../tasks/transformation-task.js";
import { silentLogger } from "../telemetry/logger.js";
import { NoTelemetry } from "../telemetry/telemetry.js";
import type { Row } from "../util/mapping.js";
import { Random } from "../util/random.js";
import { assembleBuilder, type BuilderAssembly, seedLabel } from "./assemble.js";

class Gen extends GenerationDataBuilder {
  async call(_requestIdx: number, batch: Row[]): Promise<Row[]> {
    return batch;
  }
  override instantiateInput(_task: unknown, row: Row): Row {
    return { ...row, picked: true };
  }
}

class Trans extends TransformationDataBuilder {
  async call(batch: Row[]): Promise<Row[]> {
    return batch;
  }
}

/** A parsed task spec. */
const spec = (raw: Row) => baseTaskSchema.parse({ data_builder: "b/gen", ...raw });

/** A parsed runner config of the family of `cls` (default: generation). */
function runner(cls: BuilderAssembly["cls"] | undefined, raw: Row): RunnerConfig {
  return (cls ?? Gen).family === "generation"
    ? generationRunnerConfigSchema.parse(raw)
    : transformationRunnerConfigSchema.parse(raw);
}

const draws = (rng: Random) => [rng.next(), rng.next(), rng.next()];

async function assembly(over: Partial<BuilderAssembly> = {}): Promise<BuilderAssembly> {
  return {
    registry: await Registry.open({ cwd: tmpdir() }),
    cls: Gen,
    builderName: "b/gen",
    config: baseBuilderSchema.parse({ name: "b/gen" }),
    file: "/nowhere/b.yaml",
    blocks: new Map(),
    tasks: [
      {
        spec: spec({
          task_name: "t/one",
          formatter: { type: "formatters/native", format: "{{text}}" },
        }),
        file: "/t/one.yaml",
        runnerConfig: runner(over.cls, { seed: 3, restart_generation: true }),
      },
      { spec: spec({ task_name: "t/two" }), file: undefined, runnerConfig: runner(over.cls, {}) },
    ],
    root: new Random(42),
    logger: silentLogger,
    telemetry: new NoTelemetry(),
    builderOptions: undefined,
    buildId: "exp",
    writesOutput: true,
    ...over,
  };
}

describe("seed labels", () => {
  it("name a builder's and a task's PRNG as every earlier --seed run did", () => {
    expect(seedLabel.builder("public/examples/geography_qa")).toBe(
      "builder:public/examples/geography_qa",
    );
    expect(seedLabel.task("geo", { seed: 7 })).toBe("task:geo:7");
    expect(seedLabel.task("geo", {})).toBe("task:geo:");
  });
});

describe("assembleBuilder", () => {
  it("for a local run: PRNGs by seed label, restart and formatter from each task's settings", async () => {
    const builder = await assembleBuilder(await assembly());
    const [one, two] = builder.tasks;
    expect(builder.tasks.map((t) => t.name)).toEqual(["t/one", "t/two"]);
    expect(one).toBeInstanceOf(GenerationTask);
    expect(draws(builder.rng)).toEqual(draws(new Random(42).derive("builder:b/gen")));
    expect(draws(one!.rng)).toEqual(draws(new Random(42).derive("task:t/one:3")));
    expect(draws(two!.rng)).toEqual(draws(new Random(42).derive("task:t/two:")));
    expect([one!.restart, two!.restart]).toEqual([true, false]);
    expect(await one!.formatter?.apply({ text: "hi" })).toBe("hi");
    expect(two!.formatter).toBeUndefined();
    expect((one as GenerationTask).instantiateInput({ text: "x" })).toEqual({
      text: "x",
      picked: true,
    });
  });

  it("for a distributed worker: the same labels derived once more per unit, no restart, no formatter", async () => {
    const unit = (rng: Random) => rng.derive("unit:run-1:5");
    const builder = await assembleBuilder(
      await assembly({ derive: unit, writesOutput: false, buildId: "worker" }),
    );
    const [one] = builder.tasks;
    expect(draws(builder.rng)).toEqual(draws(unit(new Random(42).derive("builder:b/gen"))));
    expect(draws(one!.rng)).toEqual(draws(unit(new Random(42).derive("task:t/one:3"))));
    expect(one!.restart).toBe(false);
    expect(one!.formatter).toBeUndefined();
  });

  it("gives a transformation builder transformation tasks", async () => {
    const builder = await assembleBuilder(await assembly({ cls: Trans, builderName: "b/trans" }));
    expect(builder.kind).toBe("transformation");
    expect(builder.tasks.every((t) => t instanceof TransformationTask)).toBe(true);
  });
});
