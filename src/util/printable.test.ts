import { describe, expect, it } from "vitest";
import { printable, printableJson } from "./printable.js";

describe("printable", () => {
  it("shows ESC, BEL, CR, backspace, DEL, C1 and bidi controls as visible escapes", () => {
    expect(printable("500 \u001b]0;TITLE\u0007\u001b[2J")).toBe("500 \\x1b]0;TITLE\\x07\\x1b[2J");
    expect(printable("ok\rfake\b\u007f\u009b31m\u202eevil")).toBe(
      "ok\\x0dfake\\x08\\x7f\\x9b31m\\u202eevil",
    );
  });

  it("JSON lines keep their value and lose the controls JSON.stringify leaves raw", () => {
    const value = { m: "a\u009b31m\u202eb\u001b[2J" };
    const line = printableJson(JSON.stringify(value));
    expect(line).toBe('{"m":"a\\u009b31m\\u202eb\\u001b[2J"}');
    expect(JSON.parse(line)).toEqual(value);
  });

  it("keeps newlines and tabs unless asked for a single line, and leaves other text alone", () => {
    expect(printable("a\n\tb é 漢字 \\x1b")).toBe("a\n\tb é 漢字 \\x1b");
    expect(printable("a\nb\tc", true)).toBe("a\\x0ab\\x09c");
  });
});
