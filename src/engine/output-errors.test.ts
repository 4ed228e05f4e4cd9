import { describe, expect, it } from "vitest";
import { ConfigError, OutputWriteError } from "../errors.js";
import { asOutputWriteError } from "./output-errors.js";

const sysError = (code: string, path?: string) =>
  Object.assign(new Error(`${code}: failed`), { code, ...(path ? { path } : {}) });

describe("asOutputWriteError", () => {
  it("names the folder that holds the failing path, or the first folder when the error has no path", () => {
    const full = asOutputWriteError(sysError("ENOSPC", "/out/b/data.jsonl"), [
      "/out/a",
      "/out/b",
    ]) as OutputWriteError;
    expect(full).toBeInstanceOf(OutputWriteError);
    expect(full.message).toContain("'/out/b'");
    expect(full.errno).toBe("ENOSPC");
    const noPath = asOutputWriteError(sysError("EROFS"), ["/out/a", "/out/b"]) as OutputWriteError;
    expect(noPath.message).toContain("'/out/a'");
    expect(noPath.hint).toContain("--output-dir");
  });

  it("converts permission errors only inside the output folders, and leaves other errors alone", () => {
    expect(
      asOutputWriteError(sysError("EACCES", "/out/a/final_data.jsonl"), ["/out/a"]),
    ).toBeInstanceOf(OutputWriteError);
    const outside = sysError("EACCES", "/data/seeds.jsonl");
    expect(asOutputWriteError(outside, ["/out/a"])).toBe(outside);
    const other = sysError("ENOENT", "/out/a/x");
    expect(asOutputWriteError(other, ["/out/a"])).toBe(other);
    const digit = new ConfigError("bad");
    expect(asOutputWriteError(digit, ["/out/a"])).toBe(digit);
  });
});
