import { ConfigError } from "digit-sdg";
import { z } from "zod";
import { parseWith } from "../../../../../../src/config/zod-errors.js";
import { ToolSamplingError } from "../../../../../../src/errors.js";
import type { ToolSampler } from "../../../../../../src/tools/samplers/sampler.js";
import { suggestion } from "../../../../../../src/util/did-you-mean.js";
import { rowRandom } from "../../../../../../src/util/draw-key.js";
import type { Conversation } from "../../../../../core/conversation/conversation.js";
import { registerStage } from "../../../../../core/conversation/stages/index.js";
import { steps } from "../steps.js";
import { toolExtras } from "./common.js";

const NAME = "tool_calling/multi_turn/stages/scenario_generator";

const args = z.object({
  sampler_mix: z
    .array(
      z.object({
        sampler: z.looseObject({ type: z.string().min(1) }),
        weight: z.number().min(0).default(1),
      }),
    )
    .min(1, "give at least one sampler"),
});

/**
 * A random date between 1990-01-01 and 2025-12-31 (DiGiT's scenario dates).
 *
 * @example
 * randomDate(rng) // "2007-03-14"
 */
export function randomDate(next: () => number): string {
  const start = Date.UTC(1990, 0, 1);
  const days = Math.round((Date.UTC(2025, 11, 31) - start) / 86_400_000);
  return new Date(start + Math.floor(next() * days) * 86_400_000).toISOString().slice(0, 10);
}

/**
 * `tool_calling/multi_turn/stages/scenario_generator`: picks a sampler of `sampler_mix` by
 * weight, draws the conversation's tools with it and a date, and appends the tools step. Sampler
 * types are checked when the stage is created (an unknown one names the closest); the samplers
 * are built before the first batch, once enrichments ran: a missing enrichment, or a selection
 * the tools cannot form (a chain of k with no such chain), fails the run there.
 */
registerStage({
  name: NAME,
  args,
  blocks: ["generator"],
  create: (a, _blocks, extras) => {
    const x = toolExtras(extras, NAME);
    const where = (i: number) => `${NAME} sampler_mix[${i}].sampler`;
    for (const [i, m] of a.sampler_mix.entries()) {
      if (!x.tools.samplerTypes().includes(m.sampler.type))
        throw new ConfigError(
          `${where(i)}: tool sampler '${m.sampler.type}' is not known (${suggestion(m.sampler.type, x.tools.samplerTypes())})`,
          { file: x.file },
        );
    }
    let samplers: Promise<ToolSampler[]> | undefined;
    const build = async () =>
      Promise.all(
        a.sampler_mix.map(async (m, i) => {
          const def = await x.tools.sampler(
            m.sampler.type,
            `${where(i)}: tool sampler`,
            x.file ?? "",
          );
          const missing = def.requires.filter((r) => !(r in x.tools.registry.artifacts));
          if (missing.length)
            throw new ConfigError(
              `${where(i)}: sampler '${m.sampler.type}' needs the ${missing.join(", ")} enrichment(s) in tools.enrichments`,
              {
                file: x.file,
                hint: `add ${missing.map((r) => `{ type: ${r} }`).join(", ")} to the task's tools.enrichments`,
              },
            );
          const { type: _t, ...keys } = m.sampler;
          const config = parseWith(def.schema.strict(), keys, where(i), x.file);
          try {
            return def.create(config, x.tools.registry);
          } catch (e) {
            if (!(e instanceof ToolSamplingError)) throw e;
            throw new ToolSamplingError(`${where(i)}: ${e.message}`, e.requested, e.partial, {
              file: x.file,
              hint: e.hint,
            });
          }
        }),
      );
    return {
      name: NAME,
      async prepare() {
        samplers ??= build();
        await samplers;
      },
      async run(convs: Conversation[], ctx) {
        samplers ??= build();
        const list = await samplers;
        for (const c of convs) {
          const rng = rowRandom(c, "tool-scenario", ctx.rng);
          const sampler = rng.weighted(
            list,
            a.sampler_mix.map((m) => m.weight),
          );
          c.steps.push(
            steps.info(
              sampler.sample(rng),
              randomDate(() => rng.next()),
              NAME,
            ),
          );
        }
        return convs;
      },
    };
  },
});
