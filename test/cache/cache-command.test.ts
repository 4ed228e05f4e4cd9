import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { ResponseCache } from "../../src/cache/response-cache.js";
import { digit, tempDir } from "../cli/helpers.js";

/** A cache folder with two answers of gpt-4o-mini (priced) and one of an unpriced model, one of them 40 days old. */
function filledCache(): string {
  const dir = tempDir("digit-cache-cmd-");
  const file = join(dir, "responses.sqlite");
  const c = ResponseCache.open(file);
  c.put("a", {
    provider: "openai",
    model: "gpt-4o-mini",
    value: { outputs: ["x"] },
    prompt_tokens: 1_000_000,
    completion_tokens: 0,
  });
  c.put("b", {
    provider: "openai",
    model: "gpt-4o-mini",
    value: { outputs: ["y"] },
    prompt_tokens: 1_000_000,
    completion_tokens: 1_000_000,
  });
  c.put("c", {
    provider: "openai",
    model: "house-model",
    value: { outputs: ["z"] },
    prompt_tokens: 10,
    completion_tokens: 5,
  });
  c.close();
  const raw = new Database(file);
  raw
    .prepare("UPDATE responses SET created_at = ? WHERE key = 'a'")
    .run(Date.now() - 40 * 86_400_000);
  raw.close();
  return dir;
}

describe("digit cache", () => {
  it("stats shows answers, tokens and their list-price worth per model", async () => {
    const dir = filledCache();
    const r = await digit(["cache", "stats", "--cache-dir", dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/3 answers/);
    expect(r.stdout).toMatch(/openai\/gpt-4o-mini\s+2\s+2,000,000\/1,000,000\s+\$0\.90/);
    expect(r.stdout).toMatch(/openai\/house-model\s+1\s+10\/5\s+n\/a/);
    const json = await digit(["cache", "stats", "--file", join(dir, "responses.sqlite"), "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      entries: 3,
      models: [
        { model: "gpt-4o-mini", entries: 2, worth_usd: 0.9 },
        { model: "house-model", worth_usd: null },
      ],
    });
  });

  it("prune --older-than deletes only older answers; clear deletes the rest", async () => {
    const dir = filledCache();
    const pruned = await digit(["cache", "prune", "--older-than", "30d", "--cache-dir", dir]);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toMatch(/deleted 1 answers older than 30 days/);
    const c = ResponseCache.open(join(dir, "responses.sqlite"));
    expect([c.get("a"), c.get("b"), c.get("c")].map((x) => x !== undefined)).toEqual([
      false,
      true,
      true,
    ]);
    c.close();
    const cleared = await digit(["cache", "clear", "--cache-dir", dir]);
    expect(cleared.stdout).toMatch(/deleted 2 answers/);
    expect((await digit(["cache", "stats", "--cache-dir", dir])).stdout).toMatch(/0 answers/);
  });

  it("refuses an unknown action, a prune without an age, and a malformed age, as usage errors", async () => {
    const dir = tempDir("digit-cache-cmd-");
    const unknown = await digit(["cache", "stat", "--cache-dir", dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/did you mean 'stats'/);
    const noAge = await digit(["cache", "prune", "--cache-dir", dir]);
    expect(noAge.code).toBe(2);
    expect(noAge.stderr).toMatch(/--older-than/);
    const badAge = await digit([
      "cache",
      "prune",
      "--older-than",
      "thirty days",
      "--cache-dir",
      dir,
    ]);
    expect(badAge.code).toBe(2);
    expect(badAge.stderr).toMatch(/30d/);
    expect(unknown.stderr + noAge.stderr + badAge.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
