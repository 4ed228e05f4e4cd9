import { describe, expect, expectTypeOf, it } from "vitest";
import type { LMRequest, LMResponse } from "../../src/blocks/lm/provider.js";
import {
  baseBuilderSchema,
  baseTaskSchema,
  generationRunnerConfigSchema,
} from "../../src/config/schemas.js";
import { ConfigError } from "../../src/errors.js";
import {
  type BlockConfigOf,
  type BuilderSpec,
  type GenerationDataBuilder,
  type LMConfig,
  LMProvider,
  lmConfigSchema,
  type RunnerConfig,
  type Task,
  type TaskSpec,
  z,
} from "../../src/index.js";

// What a plugin author writes: a custom LM provider whose config extends the shared LM keys.
const echoConfigSchema = lmConfigSchema.extend({
  region: z.string().default("eu"),
  prefix: z.string().optional(),
});

class EchoProvider extends LMProvider<typeof echoConfigSchema> {
  static override configSchema = echoConfigSchema;
  protected credential(): undefined {
    return undefined;
  }
  protected async send(request: LMRequest): Promise<LMResponse> {
    return { outputs: [`${this.config.prefix ?? ""}${String(request.input)}`] };
  }
}

describe("the config types a plugin author imports from digit-sdg", () => {
  it("types a custom provider's config from lmConfigSchema plus its own keys", () => {
    expectTypeOf<EchoProvider["config"]["region"]>().toEqualTypeOf<string>();
    expectTypeOf<EchoProvider["config"]["timeout"]>().toEqualTypeOf<number>();
    expectTypeOf<EchoProvider["config"]>().toMatchTypeOf<LMConfig>();
    expectTypeOf<BlockConfigOf<typeof echoConfigSchema>["prefix"]>().toEqualTypeOf<
      string | undefined
    >();
    const block = new EchoProvider({ name: "echo", type: "echo", model_id_or_path: "m" });
    expect(block.config.region).toBe("eu");
    expect(block.config.timeout).toBe(600);
  });

  it("refuses a key neither lmConfigSchema nor the provider declares", () => {
    const error = (() => {
      try {
        new EchoProvider({ name: "echo", type: "echo", model_id_or_path: "m", regoin: "us" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/regoin/);
    expect((error as ConfigError).hint).toMatch(/did you mean 'region'/);
  });

  it("types parsed task, builder and runner configs with their defaults applied", () => {
    const spec: TaskSpec = baseTaskSchema.parse({ task_name: "qa", data_builder: "b" });
    expectTypeOf(spec.task_description).toEqualTypeOf<string>();
    expect(spec.task_description).toBe("");
    const builder: BuilderSpec = baseBuilderSchema.parse({ name: "my/builder" });
    expectTypeOf(builder.blocks).toEqualTypeOf<Record<string, unknown>[]>();
    expect(builder.blocks).toEqual([]);
    const runner: RunnerConfig = generationRunnerConfigSchema.parse({});
    expect("num_outputs_to_generate" in runner && runner.num_outputs_to_generate).toBeGreaterThan(
      0,
    );
    expectTypeOf<Task["spec"]>().toEqualTypeOf<TaskSpec>();
    expectTypeOf<Task["runnerConfig"]>().toEqualTypeOf<RunnerConfig>();
    expectTypeOf<GenerationDataBuilder["config"]>().toEqualTypeOf<BuilderSpec>();
  });
});
