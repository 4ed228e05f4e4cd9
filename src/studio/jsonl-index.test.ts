import { appendFile, mkdtemp, rename, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { JsonlIndex } from "./jsonl-index.js";

describe("JsonlIndex", () => {
  it("indexes complete lines, extends as the file grows, and starts over when it is replaced", async () => {
    const dir = await mkdtemp(join(tmpdir(), "jsonl-index-"));
    const file = join(dir, "data.jsonl");
    await writeFile(file, '{"a":1}\r\n{"a":2}\n{"a":');
    const index = new JsonlIndex(file);
    expect(await index.refresh()).toBe(2);
    expect(await index.readLines(0, 5)).toEqual(['{"a":1}', '{"a":2}']);
    await appendFile(file, '3}\n{"a":4}\n');
    expect(await index.refresh()).toBe(4);
    expect(await index.readLines(2, 4)).toEqual(['{"a":3}', '{"a":4}']);
    expect(await index.line(3)).toBe('{"a":4}');
    // An atomic rewrite (a new file renamed over it), shorter than before.
    await writeFile(join(dir, "tmp"), '{"b":1}\n');
    await rename(join(dir, "tmp"), file);
    expect(await index.refresh()).toBe(1);
    expect(await index.readLines(0, 10)).toEqual(['{"b":1}']);
  });

  it("holds more lines than its first allocation", async () => {
    const dir = await mkdtemp(join(tmpdir(), "jsonl-index-"));
    const file = join(dir, "big.jsonl");
    await writeFile(file, Array.from({ length: 5000 }, (_, i) => `{"i":${i}}\n`).join(""));
    const index = new JsonlIndex(file);
    expect(await index.refresh()).toBe(5000);
    expect(await index.readLines(4998, 5000)).toEqual(['{"i":4998}', '{"i":4999}']);
  });
});
