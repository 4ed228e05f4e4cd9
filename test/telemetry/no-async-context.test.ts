import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { filesBelow } from "../../src/util/files-below.js";

const ROOT = new URL("../../", import.meta.url).pathname;

describe("async context", () => {
  // Node 20's AsyncLocalStorage installs promise hooks for the whole process once used: about a
  // tenth of a local run's CPU. Spans nest explicitly instead (Telemetry.scoped, span parameters).
  it("is used by no module of a local run (only the distributed worker routes reports with it)", () => {
    const users = [
      ...filesBelow(join(ROOT, "src"), (n) => n.endsWith(".ts") && !n.endsWith(".test.ts")),
      ...filesBelow(join(ROOT, "builders"), (n) => n.endsWith(".ts")),
    ]
      .filter((f) =>
        /\bnode:async_hooks\b|\bAsyncLocalStorage\b/.test(
          readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ""),
        ),
      )
      .map((f) => relative(ROOT, f));
    expect(users).toEqual(["src/engine/executor/bullmq/rebuild.ts"]);
  });
});
