import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../errors.js";
import type { Logger } from "../../telemetry/logger.js";
import { DefaultDatastore } from "../default/index.js";
import { MultiTargetDatastore } from "./index.js";

function logger(messages: string[]): Logger {
  const l: Logger = {
    debug: () => {},
    info: () => {},
    warn: (m) => void messages.push(m),
    error: () => {},
    child: () => l,
  };
  return l;
}

describe("multi_target datastore", () => {
  it("writes every target, reads the primary, feeds a stream to every target, truncates and clears all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-multi-"));
    const store = new MultiTargetDatastore({
      type: "multi_target",
      store_name: "task/final_data",
      output_dir: dir,
      primary: { type: "default" },
      additional: [
        { type: "default", output_data_format: "parquet" },
        { type: "default", output_dir: join(dir, "exports"), store_name: "ignored" },
      ],
    });
    await store.prepare({});
    await store.append([{ a: 1 }]);
    async function* gen() {
      yield { a: 2 };
      yield { a: 3 };
    }
    await store.replace(gen());
    const readBack = (p: Record<string, unknown>) =>
      new DefaultDatastore({ type: "default", store_name: "task/final_data", ...p }).readAll();
    expect(await store.readAll()).toEqual([{ a: 2 }, { a: 3 }]);
    expect((await store.sources()).length).toBe(1); // DiGiT's load_iterators returned nothing
    expect(await readBack({ output_dir: dir, output_data_format: "parquet" })).toEqual([
      { a: 2 },
      { a: 3 },
    ]);
    expect(await readBack({ output_dir: join(dir, "exports") })).toEqual([{ a: 2 }, { a: 3 }]);
    await store.truncate(1);
    expect(await readBack({ output_dir: dir, output_data_format: "parquet" })).toEqual([{ a: 2 }]);
    expect(await store.exists()).toBe(true);
    await store.clear();
    expect(await store.exists()).toBe(false);
    expect(existsSync(join(dir, "exports/task/final_data.jsonl"))).toBe(false);
  });

  it("keeps going when an additional target fails, with a warning", async () => {
    const dir = mkdtempSync(join(tmpdir(), "digit-multi-"));
    const messages: string[] = [];
    const store = new MultiTargetDatastore({
      type: "multi_target",
      store_name: "d",
      output_dir: dir,
      primary: { type: "default" },
      additional: [{ type: "default", output_dir: undefined }], // read-only: every write fails
    });
    await store.prepare({ logger: logger(messages) });
    await store.append([{ a: 1 }]);
    expect(await store.readAll()).toEqual([{ a: 1 }]);
    expect(messages[0]).toMatch(/append on additional target .* failed/);
  });

  it("rejects configs without primary, without a child type, or with two targets on one file", async () => {
    const base = { type: "multi_target", store_name: "d", output_dir: "/tmp/x" };
    expect(() => new MultiTargetDatastore({ ...base })).toThrow(/'primary' is required/);
    expect(
      () => new MultiTargetDatastore({ ...base, primary: { output_data_format: "csv" } }),
    ).toThrow(ConfigError);
    const twice = new MultiTargetDatastore({
      ...base,
      primary: { type: "default" },
      additional: [{ type: "default" }],
    });
    await expect(twice.prepare({})).rejects.toThrow(/both write/);
  });
});
