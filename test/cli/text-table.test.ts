import { describe, expect, it } from "vitest";
import { outputWidth, table, wrapText } from "../../src/cli/text-table.js";

const rows = [
  [
    "alpha",
    "a/long/path/to/alpha.ts",
    "A description long enough to be cut or wrapped at any narrow width, with many words.",
  ],
  ["b", "b.ts", "Short."],
];

describe("text tables fitted to a width", () => {
  it("no line is longer than the width, whatever the mode", () => {
    for (const width of [20, 40, 60, 80, 200]) {
      for (const fit of [
        { width },
        { width, wrap: true, minFlex: 30 },
        { width, droppable: [1], minFlex: 30 },
      ]) {
        const text = table(["name", "file", "description"], rows, fit);
        for (const line of text.trimEnd().split("\n"))
          expect(line.length, `${JSON.stringify(fit)}: ${line}`).toBeLessThanOrEqual(width);
      }
    }
  });

  it("cuts with …, wraps keeping every word, or folds the text below the row when the column would be too narrow", () => {
    expect(table(["name", "file", "description"], rows, { width: 60 })).toMatch(
      /alpha\s+a\/long\/path\/to\/alpha\.ts\s+A description long enough t…\n/,
    );
    const wrapped = table(["name", "file", "description"], rows, {
      width: 70,
      wrap: true,
      minFlex: 20,
    });
    expect(wrapped.replace(/\s+/g, " ")).toContain(rows[0]![2]!.replace(/\s+/g, " "));
    const folded = table(["name", "file", "description"], rows, {
      width: 50,
      wrap: true,
      minFlex: 30,
    });
    expect(folded).toMatch(/^name\s+file\n/);
    expect(folded).toMatch(/\nalpha\s+a\/long\/path\/to\/alpha\.ts\n {4}A description long enough/);
    expect(wrapText("one two three", 7)).toEqual(["one two", "three"]);
  });

  it("takes the terminal's columns, else $COLUMNS, else 100", () => {
    expect(outputWidth({ isTTY: true, columns: 77 }, { COLUMNS: "50" })).toBe(77);
    expect(outputWidth({ isTTY: false }, { COLUMNS: "50" })).toBe(50);
    expect(outputWidth({ isTTY: false }, {})).toBe(100);
    expect(outputWidth({ isTTY: false }, { COLUMNS: "x" })).toBe(100);
  });
});
