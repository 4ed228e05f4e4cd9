import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareEnvironment } from "../config/env.js";
import { cacheSettings } from "./settings.js";

describe("cacheSettings", () => {
  it("finds the database where `digit run` writes it: the same folder with or without the run's environment", () => {
    const cwd = mkdtempSync(join(tmpdir(), "digit-cache-settings-"));
    const bare: NodeJS.ProcessEnv = {};
    const prepared: NodeJS.ProcessEnv = {};
    prepareEnvironment(cwd, prepared);
    expect(cacheSettings({}, prepared, cwd).dir).toBe(resolve(cwd, ".cache/digit"));
    expect(cacheSettings({}, bare, cwd).dir).toBe(cacheSettings({}, prepared, cwd).dir);
  });

  it("uses $DGT_CACHE_DIR when it is set, and a given folder over both", () => {
    const env = { DGT_CACHE_DIR: "/tmp/shared-cache", DGT_CACHE: "off" };
    expect(cacheSettings({}, env, "/w")).toEqual({ dir: "/tmp/shared-cache", enabled: false });
    expect(cacheSettings({ dir: "c" }, env, "/w").dir).toBe("/w/c");
  });
});
