import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson, requestKey } from "../../cache/request-key.js";
import { closeSharedCaches } from "../../cache/settings.js";
import { BlockCache } from "./block-cache.js";

const caller = { provider: "openai", endpoint: "http://u:pw@127.0.0.1:9/v1", model: "m" };
const request = { method: "completion", input: "hi", params: { temperature: 1 } };

function blockCache(): BlockCache {
  const cache = BlockCache.create(
    { cache: undefined, lm_cache: undefined, cachedByDefault: true },
    { dir: mkdtempSync(join(tmpdir(), "digit-block-cache-")), enabled: true },
    undefined,
  );
  if (!cache) throw new Error("the cache should be on");
  return cache;
}

describe("BlockCache", () => {
  it("numbers the samples of a row's repeated request, under the keys requestKey gives", () => {
    const cache = blockCache();
    const row = { draw_key: "t:0:3" };
    const [first] = cache.keys(caller, request, row);
    const again = cache.keys(caller, request, row, 2);
    const sample = (occurrence: number, k: number) =>
      requestKey({ ...caller, request, sample: canonicalJson(["t:0:3", occurrence, k]) });
    expect(first).toBe(sample(0, 0));
    expect(again).toEqual([sample(1, 0), sample(1, 1)]);
    // Another row asking the same starts its own count.
    expect(cache.keys(caller, request, { draw_key: "t:0:4" })[0]).not.toBe(first);
  });

  it("reads the stored answers of many keys at once", () => {
    const cache = blockCache();
    const keys = cache.keys(caller, request, {}, 3);
    cache.put(keys[1]!, caller, { outputs: ["b"] }, { prompt_tokens: 1, completion_tokens: 1 });
    expect(cache.getMany(keys).map((a) => a?.value)).toEqual([
      undefined,
      { outputs: ["b"] },
      undefined,
    ]);
    closeSharedCaches();
  });
});
