import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isDigitError } from "../errors.js";
import { loadScript } from "./script.js";
import { render, wordsFor } from "./template.js";

const dir = mkdtempSync(join(tmpdir(), "digit-fake-script-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The DigitError `loadScript` rejects with. */
async function refusal(
  path: string,
): Promise<{ code: string; message: string; file: string | undefined; line: number | undefined }> {
  const e: unknown = await loadScript(path).then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isDigitError(e)) throw new Error(`expected a DigitError, got ${String(e)}`);
  return e as unknown as {
    code: string;
    message: string;
    file: string | undefined;
    line: number | undefined;
  };
}

describe("loadScript", () => {
  it("reads rules (case-insensitive), responses and settings", async () => {
    const o = await loadScript(
      file(
        "ok.yaml",
        'latency_ms: 5\nresponses: ["A {{n}}"]\nrules:\n  - match: "^rate"\n    response: "Rating: 1"\n',
      ),
    );
    expect(o.latencyMs).toBe(5);
    expect(o.responses).toEqual(["A {{n}}"]);
    expect((o.rules![0]!.match as RegExp).test("RATE this")).toBe(true);
  });

  it.each([
    ["unknown key", "respones: [a]\n", /unknown key 'respones'/, 1],
    ["a rule without response", "rules:\n  - match: x\n", /needs 'response'/, 2],
    ["a list instead of a mapping", "- a\n", /must be a mapping/, 1],
    ["a negative latency", "latency_ms: -1\n", /'latency_ms' must be a number/, 1],
    [
      "a rule whose tools is not a boolean",
      "rules:\n  - match: x\n    response: y\n    tools: yes please\n",
      /rule 'tools' must be true/,
      2,
    ],
  ])("refuses %s with the file and line", async (_what, text, message, line) => {
    const path = file("bad.yaml", text);
    const e = await refusal(path);
    expect(e.code).toBe("DIGIT_CONFIG_INVALID");
    expect(e.message).toMatch(message);
    expect(e.file).toBe(path);
    expect(e.line).toBe(line);
  });
});

describe("rules that look at the tools a request offers", () => {
  it("a tools rule answers only requests with tools, its arguments filled in", async () => {
    const { startFakeLLM } = await import("./server.js");
    const o = await loadScript(
      file(
        "tools.yaml",
        'rules:\n  - match: "\\\\?$"\n    tools: true\n    response: { tool_calls: [{ name: search, arguments: { query: "{{prompt}}" } }] }\nresponses: ["plain"]\n',
      ),
    );
    expect(o.rules![0]!.tools).toBe(true);
    const fake = await startFakeLLM(o);
    try {
      const ask = async (tools?: unknown[]) => {
        const res = await fetch(`${fake.openaiBaseURL}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            model: "m",
            messages: [{ role: "user", content: "Where?" }],
            ...(tools ? { tools } : {}),
          }),
        });
        return ((await res.json()) as { choices: { message: Record<string, unknown> }[] })
          .choices[0]!.message;
      };
      const withTools = await ask([{ type: "function", function: { name: "search" } }]);
      const call = (
        withTools.tool_calls as { function: { name: string; arguments: string } }[]
      )[0]!;
      expect(call.function.name).toBe("search");
      expect(JSON.parse(call.function.arguments)).toEqual({ query: "Where?" });
      expect((await ask()).content).toBe("plain");
    } finally {
      await fake.close();
    }
  });
});

describe("answer templates", () => {
  const request = {
    protocol: "openai",
    kind: "chat",
    path: "/v1/chat/completions",
    model: "m",
    prompt: "hi",
    promptIndex: 0,
    body: {},
    n: 7,
  } as const;

  it("fill {{n}}, {{prompt}}, {{model}} and a different {{words}} per placeholder", () => {
    const text = render("{{n}} {{prompt}} {{model}} | {{words}} | {{words}}", request) as string;
    const [head, a, b] = text.split(" | ");
    expect(head).toBe("7 hi m");
    expect(a!.split(" ")).toHaveLength(6);
    expect(a).not.toBe(b);
  });

  it("{{words}} is the same for the same answer and differs between answers", () => {
    expect(wordsFor(3, 0)).toBe(wordsFor(3, 0));
    const seen = new Set(Array.from({ length: 500 }, (_, n) => wordsFor(n + 1, 0)));
    expect(seen.size).toBe(500);
  });
});
