import { z } from "zod";
import { ConfigError } from "../../errors.js";
import { getPath, MISSING } from "../../util/paths.js";
import type { Random } from "../../util/random.js";
import type { SearchDocument } from "./document.js";
import type { SearchEngine } from "./engine.js";

/**
 * Config of DiGiT's `search/random` document sampler.
 *
 * @example
 * randomDocumentSamplerSchema.parse({ group_by: "metadata.category", strategy: "proportional" })
 */
export const randomDocumentSamplerSchema = z.object({
  group_by: z
    .string()
    .min(1)
    .optional()
    .describe("A document field (dot path; metadata first) to group by"),
  strategy: z
    .enum(["uniform", "proportional"])
    .default("uniform")
    .describe("Group weights: equal, or by group size"),
});

/**
 * Options of one draw.
 *
 * @example
 * sampler.sample(rng, 3, { exclude_groups: ["biology"] })
 */
export interface DrawOptions {
  include_groups?: string[];
  exclude_groups?: string[];
}

/**
 * `search/random`: k documents of an engine's corpus drawn at random; with `group_by`, first a
 * group (equal or size-weighted, limited by include/exclude lists), then k documents of it.
 *
 * @example
 * const sampler = new RandomDocumentSampler(engine, { strategy: "uniform" });
 * const docs = sampler.sample(new Random(1), 3);
 */
export class RandomDocumentSampler {
  private readonly groups: Map<string, SearchDocument[]> | undefined;

  constructor(
    private readonly engine: SearchEngine,
    private readonly c: z.input<typeof randomDocumentSamplerSchema>,
  ) {
    if (c.group_by) {
      this.groups = new Map();
      for (const d of engine.corpus()) {
        const key = groupKey(d, c.group_by);
        this.groups.set(key, [...(this.groups.get(key) ?? []), d]);
      }
    }
  }

  sample(rng: Random, k: number, o: DrawOptions = {}): SearchDocument[] {
    if (!this.groups) return rng.sample(this.engine.corpus(), k);
    if (o.include_groups && o.exclude_groups)
      throw new ConfigError(
        "search/random: include_groups and exclude_groups are mutually exclusive",
      );
    let names = [...this.groups.keys()];
    if (o.include_groups) {
      const unknown = o.include_groups.filter((g) => !this.groups!.has(g));
      if (unknown.length)
        throw new ConfigError(
          `search/random: include_groups names unknown group(s) ${unknown.join(", ")} (groups: ${names.join(", ")})`,
        );
      names = o.include_groups;
    } else if (o.exclude_groups) names = names.filter((g) => !o.exclude_groups!.includes(g));
    if (!names.length) throw new ConfigError("search/random: no group left to draw from");
    const weights = names.map((g) =>
      (this.c.strategy ?? "uniform") === "proportional" ? this.groups!.get(g)!.length : 1,
    );
    return rng.sample(this.groups.get(rng.weighted(names, weights))!, k);
  }
}

function groupKey(d: SearchDocument, field: string): string {
  const v = getPath(d.metadata, field, false);
  const w =
    v === MISSING ? getPath({ id: d.id, text: d.text, metadata: d.metadata }, field, false) : v;
  return w === MISSING || w == null ? "" : String(w);
}
