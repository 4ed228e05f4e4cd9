import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPersonDataset } from "./person.js";

describe("person dataset", () => {
  it("the shipped en_US file is what scripts/generate-person-data.mjs writes", () => {
    const out = join(mkdtempSync(join(tmpdir(), "persons-")), "en_US.json");
    execFileSync(process.execPath, ["scripts/generate-person-data.mjs", out]);
    expect(readFileSync(out, "utf8")).toBe(readFileSync("data/person/en_US.json", "utf8"));
  });

  it("has names of both sexes, cities with states and positive weights, ages 0..100", () => {
    const data = loadPersonDataset("en_US");
    if (typeof data === "string") throw new Error(data);
    expect(data.first_names.Female.length).toBeGreaterThan(50);
    expect(data.first_names.Male.length).toBeGreaterThan(50);
    expect(data.last_names.length).toBeGreaterThan(100);
    for (const c of data.cities) expect(c.state).toMatch(/^[A-Z]{2}$/);
    expect(data.cities.every((c) => c.weight > 0)).toBe(true);
    expect(data.age_weights.map(([a]) => a)).toEqual(Array.from({ length: 101 }, (_, i) => i));
  });
});
