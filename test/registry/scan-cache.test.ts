import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ScanCache, scanRoots } from "../../src/registry/scan.js";
import { readScanCache, writeScanCache } from "../../src/registry/scan-cache.js";

const dir = mkdtempSync(join(tmpdir(), "digit-scan-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = { dir, namespace: "user", extensions: [".ts"] };

describe("registry scan cache", () => {
  it("trusts a cached file whose size and time are unchanged, and reads a changed one again", async () => {
    const file = join(dir, "block.ts");
    writeFileSync(file, '@registerBlock("real_name")\nexport class B {}\n');
    const st = statSync(file);
    // A cache that claims another name for the file: used only while the file is unchanged.
    const cache: ScanCache = {
      [file]: {
        mtimeMs: st.mtimeMs,
        size: st.size,
        found: [{ kind: "block", name: "cached_name", description: "" }],
      },
    };
    expect((await scanRoots([root], cache)).map((e) => e.name)).toEqual(["cached_name"]);
    utimesSync(file, st.atime, new Date(st.mtimeMs + 5000));
    expect((await scanRoots([root], cache)).map((e) => e.name)).toEqual(["real_name"]);
    expect((await scanRoots([root])).map((e) => [e.name, e.namespace, e.file])).toEqual([
      ["real_name", "user", file],
    ]);
  });

  it("writes the package's own registrations and reads them back with absolute paths", async () => {
    const out = join(dir, "scan.json");
    expect(await writeScanCache(out)).toBeGreaterThan(50);
    const cache = readScanCache(out);
    const openai = Object.entries(cache).find(([, f]) =>
      f.found.some((e) => e.kind === "block" && e.name === "openai"),
    );
    expect(openai?.[0]).toMatch(/openai[/\\]index\.ts$/);
    expect(statSync(openai![0]).size).toBe(openai![1].size);
  });

  it("reads a missing or foreign cache file as empty", () => {
    expect(readScanCache(join(dir, "missing.json"))).toEqual({});
    writeFileSync(join(dir, "other.json"), '{"version": 99, "files": {"a.js": {}}}');
    expect(readScanCache(join(dir, "other.json"))).toEqual({});
  });
});
