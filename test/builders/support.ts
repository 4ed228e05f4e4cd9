import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { stringify } from "yaml";
import { credentialPool } from "../../src/blocks/lm/pool.js";
import { runCommand } from "../../src/cli/commands/run.js";
import { buildProgram } from "../../src/cli/program.js";
import type { Row } from "../../src/util/mapping.js";
import { type CapturedOutput, captureOutput } from "../support/capture-output.js";
import {
  type FakeAnswer,
  type FakeLLM,
  type FakeRequest,
  loadScript,
  startFakeLLM,
} from "../support/fake-llm/index.js";

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `digit-${prefix}-`));
}

/**
 * Run `digit run <args> --quiet` in this process (the real CLI parser and engine) and return the
 * exit code. What the run prints (summary table, warnings, errors) is captured, not shown: use
 * {@link digitRunOutput} to see it.
 *
 * @example
 * const code = await digitRun(["tasks/x/task.yaml", "--output-dir", out]);
 */
export async function digitRun(args: string[]): Promise<number> {
  return (await digitRunOutput(args)).result;
}

/**
 * {@link digitRun}, returning the exit code (`result`) with what the run wrote to stdout and stderr.
 *
 * @example
 * const { result: code, stderr } = await digitRunOutput(["tasks/x/task.yaml"]);
 */
export async function digitRunOutput(args: string[]): Promise<CapturedOutput<number>> {
  credentialPool().clear();
  let code: number | undefined;
  const program = buildProgram();
  const run = program.commands.find((c) => c.name() === "run")!;
  run.action(async (tasks: string[], opts: Record<string, unknown>) => {
    code = await runCommand(tasks, opts);
  });
  const saved = process.exitCode;
  const out = await captureOutput(() =>
    program.parseAsync(["node", "digit", "run", ...args, "--quiet"]),
  );
  process.exitCode = saved;
  return { ...out, result: code ?? -1 };
}

/** The provider block config that points `kind` at the fake server. */
export function fakeBlock(kind: "openai" | "ollama", fake: FakeLLM, extra: Row = {}): Row {
  return kind === "openai"
    ? {
        type: "openai",
        model_id_or_path: "fake-model",
        base_url: fake.openaiBaseURL,
        api_key: "sk-fake",
        ...extra,
      }
    : { type: "ollama", model_id_or_path: "fake-model", base_url: fake.url, ...extra };
}

/** Write a `--config-path` override file and return its path. */
export function writeOverride(dir: string, name: string, content: Row): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(content));
  return file;
}

/** The rows of a JSONL file ([] when it does not exist). */
export function readJsonl(file: string): Row[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
}

/** The type name of a JSON value (null, array, string, number, boolean, object). */
export function typeOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** `{key: type}` of a record, to compare record shapes. */
export function shape(row: Row): Record<string, string> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeOf(v)]));
}

/**
 * The fake LLM server of one test file: started from a script before its tests, reset before each,
 * closed after them; every request is recorded in `seen`. `answer` may answer a request itself
 * (undefined leaves it to the script).
 *
 * @example
 * const llm = scriptedFakeLLM("test/fixtures/builders/chit_chat/fake.yaml", 25);
 * it("...", () => expect(llm.seen.length).toBeGreaterThan(0));
 */
export function scriptedFakeLLM(
  script: string,
  latencyMs: number,
  answer?: (request: FakeRequest) => FakeAnswer | undefined,
): { readonly fake: FakeLLM; readonly seen: FakeRequest[] } {
  const state = { fake: undefined as unknown as FakeLLM, seen: [] as FakeRequest[] };
  beforeAll(async () => {
    state.fake = await startFakeLLM({ ...(await loadScript(script)), latencyMs });
  });
  afterAll(() => state.fake.close());
  beforeEach(() => {
    state.fake.reset();
    state.seen.length = 0;
    state.fake.configure({
      respond: (r) => {
        state.seen.push(r);
        return answer?.(r) as FakeAnswer;
      },
    });
  });
  return state;
}
