import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { CacheError } from "../errors.js";
import { canonicalJson, requestKey } from "./request-key.js";
import { ResponseCache } from "./response-cache.js";

const dir = () => mkdtempSync(join(tmpdir(), "digit-cache-unit-"));
const entry = {
  provider: "openai",
  model: "m",
  value: { outputs: ["hi"] },
  prompt_tokens: 3,
  completion_tokens: 1,
};

describe("ResponseCache", () => {
  it("stores an answer and reads it back from another connection (another process's view)", () => {
    const file = join(dir(), "r.sqlite");
    const a = ResponseCache.open(file);
    a.put("k1", entry);
    const b = ResponseCache.open(file);
    expect(b.get("k1")).toEqual({
      value: { outputs: ["hi"] },
      prompt_tokens: 3,
      completion_tokens: 1,
    });
    expect(b.get("k2")).toBeUndefined();
    expect(b.stats()).toMatchObject({
      entries: 1,
      models: [
        { provider: "openai", model: "m", entries: 1, prompt_tokens: 3, completion_tokens: 1 },
      ],
    });
    a.close();
    b.close();
  });

  it("reads many keys at once, in order, with misses and damaged entries as undefined", () => {
    const file = join(dir(), "r.sqlite");
    const c = ResponseCache.open(file);
    c.put("a", entry);
    c.put("c", { ...entry, value: { outputs: ["c"] } });
    const raw = new Database(file);
    raw.prepare("UPDATE responses SET value = '{not json' WHERE key = 'c'").run();
    raw.close();
    c.put("d", { ...entry, value: { outputs: ["d"] } });
    const got = c.getMany(["a", "b", "c", "d", "a"]);
    expect(got.map((g) => g?.value)).toEqual([
      { outputs: ["hi"] },
      undefined,
      undefined,
      { outputs: ["d"] },
      { outputs: ["hi"] },
    ]);
    expect(c.getMany([])).toEqual([]);
    // A damaged entry is a miss, not a reason to stop using the cache.
    expect(c.get("a")).toBeDefined();
    c.close();
  });

  it("prunes entries older than a cutoff and clears", () => {
    const file = join(dir(), "r.sqlite");
    const c = ResponseCache.open(file);
    c.put("old", entry);
    const raw = new Database(file);
    raw.prepare("UPDATE responses SET created_at = 1000 WHERE key = 'old'").run();
    raw.close();
    c.put("new", entry);
    expect(c.prune(Date.now() - 60_000)).toBe(1);
    expect(c.get("old")).toBeUndefined();
    expect(c.get("new")).toBeDefined();
    expect(c.clear()).toBe(1);
    expect(c.stats().entries).toBe(0);
    c.close();
  });

  it("moves a file that is not a database aside, with a warning, and starts a new one", () => {
    const d = dir();
    const file = join(d, "r.sqlite");
    writeFileSync(
      file,
      "this is not a database, just some text that is long enough to look like a header".repeat(20),
    );
    const warnings: string[] = [];
    const c = ResponseCache.open(file, { warnings: { warn: (m) => warnings.push(m) } });
    c.put("k", entry);
    expect(c.get("k")).toBeDefined();
    expect(warnings.join("\n")).toMatch(/not a usable database.*moved it to/);
    expect(readdirSync(d).some((f) => f.startsWith("r.sqlite.corrupt-"))).toBe(true);
    c.close();
  });

  it("skips writes while another process holds the database locked, warning once, and goes on after", () => {
    const file = join(dir(), "r.sqlite");
    const warnings: string[] = [];
    const c = ResponseCache.open(file, {
      busyTimeoutMs: 50,
      warnings: { warn: (m) => warnings.push(m) },
    });
    const other = new Database(file);
    other.exec("BEGIN IMMEDIATE");
    other.prepare("INSERT INTO responses VALUES ('x', 'p', 'm', '{}', 0, 0, 0)").run();
    expect(() => c.put("k", entry)).not.toThrow();
    expect(() => c.put("k2", entry)).not.toThrow();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/locked by another process/);
    other.exec("COMMIT");
    other.close();
    c.put("k3", entry);
    expect(c.get("k3")).toBeDefined();
    c.close();
  });

  it("refuses a path it cannot create with a CacheError that says how to fix it", () => {
    const d = dir();
    // A file where the cache folder should be: no user (not even root) can create a folder in it.
    writeFileSync(join(d, "plain-file"), "x");
    expect(() => ResponseCache.open(join(d, "plain-file", "cache", "r.sqlite"))).toThrow(
      CacheError,
    );
    const error = (() => {
      try {
        ResponseCache.open(join(d, "plain-file", "r.sqlite"));
      } catch (e) {
        return e as CacheError;
      }
    })();
    expect(error?.code).toBe("DIGIT_CACHE_UNUSABLE");
    expect(error?.hint).toMatch(/--cache-dir.*--no-cache/);
  });
});

describe("requestKey", () => {
  const base = {
    provider: "openai",
    endpoint: "http://127.0.0.1:9/v1",
    model: "m",
    request: {
      method: "chat_completion",
      input: [{ role: "user", content: "hi" }],
      params: { temperature: 0.7, max_tokens: 5 },
    },
    sample: "[null,0,0]",
  };

  it("is the same for the same request whatever the order of its fields", () => {
    expect(requestKey(base)).toBe(
      requestKey({
        ...base,
        request: {
          params: { max_tokens: 5, temperature: 0.7 },
          input: [{ content: "hi", role: "user" }],
          method: "chat_completion",
        },
      }),
    );
  });

  it("differs by sample, parameter, model, endpoint and provider", () => {
    const keys = new Set([
      requestKey(base),
      requestKey({ ...base, sample: "[null,1,0]" }),
      requestKey({
        ...base,
        request: { ...base.request, params: { temperature: 0.8, max_tokens: 5 } },
      }),
      requestKey({ ...base, model: "m2" }),
      requestKey({ ...base, endpoint: "http://127.0.0.1:10/v1" }),
      requestKey({ ...base, provider: "vllm-remote" }),
    ]);
    expect(keys.size).toBe(6);
  });

  it("ignores URL userinfo, so a password in base_url never shapes the key", () => {
    expect(requestKey({ ...base, endpoint: "http://user:secret@127.0.0.1:9/v1" })).toBe(
      requestKey(base),
    );
  });

  it("keeps the key of databases written before: SHA-256 of the identity's canonical JSON", () => {
    const legacy = createHash("sha256")
      .update(canonicalJson([base.provider, base.endpoint, base.model, base.request, base.sample]))
      .digest("hex");
    expect(requestKey(base)).toBe(legacy);
  });
});
