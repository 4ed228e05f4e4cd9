import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runCommand } from "../../src/cli/commands/run.js";
import { PLUGINS, tempDir } from "./helpers.js";

let stderr = "";
beforeEach(() => {
  stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  // The summary table goes to stdout; these tests look only at stderr and the files.
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

const GOOD_TASK = "task_name: test/ok\ndata_builder: test/echo_gen\nseed_examples:\n  - text: s\n";

/** Run `digit run` on files written to a temp folder (`$DIR` in them and in `extra` is that folder); returns exit code, stderr and the output dir. */
async function digitRun(
  files: Record<string, string>,
  extra: string[] = [],
  opts: Record<string, unknown> = {},
) {
  const dir = tempDir("digit-bad-");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text.replaceAll("$DIR", dir));
  }
  const out = join(dir, "out");
  const tasks = Object.keys(files)
    .filter((f) => f.endsWith(".yaml") && !f.startsWith("override") && !f.includes("plugins/"))
    .map((f) => join(dir, f));
  const code = await runCommand([...tasks, ...extra.map((e) => e.replace("$DIR", dir))], {
    outputDir: out,
    quiet: true,
    ...opts,
    pluginDir: [PLUGINS, ...((opts.pluginDir as string[]) ?? []).map((p) => join(dir, p))],
    ...(opts.configPath ? { configPath: join(dir, String(opts.configPath)) } : {}),
  });
  return { code, stderr, out, dir };
}

/** The common shape of every bad-input report. */
function expectCleanError(
  r: { code: number; stderr: string; out: string },
  ...fragments: (string | RegExp)[]
) {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^digit: /);
  expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/); // no stack trace
  expect(r.stderr).toContain("fix:");
  for (const f of fragments) expect(r.stderr).toMatch(f);
  expect(existsSync(r.out)).toBe(false); // nothing was written
}

describe("digit run rejects bad input before touching output", () => {
  it("YAML syntax error", async () => {
    expectCleanError(
      await digitRun({ "t.yaml": "task_name: test/x\ndata_builder: [oops\n" }),
      /YAML syntax error/,
      /t\.yaml:\d+\)/,
    );
  });

  it("only empty task files", async () => {
    const r = await digitRun({ "t.yaml": "", "u.yaml": "# nothing yet\n" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /\ndigit: no task to run: every task file given is empty \(.*t\.yaml, .*u\.yaml\)/,
    );
    expect(r.stderr).toContain("fix:");
    expect(existsSync(r.out)).toBe(false);
  });

  it("a key of the wrong type is named as such, not as missing", async () => {
    const r = await digitRun({
      "t.yaml": "task_name: test/x\ndata_builder: test/echo_gen\nseed_examples: {text: s}\n",
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /'seed_examples' in task 'test\/x' must be a list, not a mapping \(.*t\.yaml:3\)/,
    );
    expect(r.stderr).not.toMatch(/missing/);
  });

  it("missing task_name", async () => {
    expectCleanError(
      await digitRun({ "t.yaml": "data_builder: test/echo_gen\n" }),
      /no 'task_name'/,
      /t\.yaml:1/,
    );
  });

  it("missing data_builder", async () => {
    expectCleanError(
      await digitRun({ "t.yaml": "task_name: test/x\nseed_examples: []\n" }),
      /no 'data_builder'/,
      /t\.yaml:1/,
    );
  });

  it("unknown key in a task, with did-you-mean", async () => {
    expectCleanError(
      await digitRun({ "t.yaml": `${GOOD_TASK}seed_example: []\n` }),
      /unknown key 'seed_example'/,
      /t\.yaml:5/,
      /did you mean 'seed_examples'/,
    );
  });

  it("unknown key in a builder config, with did-you-mean", async () => {
    const r = await digitRun(
      {
        "t.yaml": GOOD_TASK,
        "override.yaml": "databuilders:\n  test/echo_gen:\n    postprocesors: []\n",
      },
      [],
      { configPath: "override.yaml" },
    );
    expectCleanError(
      r,
      /unknown key 'postprocesors'/,
      /override\.yaml:3/,
      /did you mean 'postprocessors'/,
    );
  });

  it("unknown key in a block config, with did-you-mean", async () => {
    const r = await digitRun(
      {
        "t.yaml": GOOD_TASK,
        "override.yaml":
          "databuilders:\n  test/echo_gen:\n    blocks:\n      - name: generator\n        respones: [x]\n",
      },
      [],
      { configPath: "override.yaml" },
    );
    expectCleanError(r, /unknown key 'respones'/, /override\.yaml:5/, /did you mean 'responses'/);
  });

  it("unknown builder", async () => {
    expectCleanError(
      await digitRun({ "t.yaml": "task_name: test/x\ndata_builder: test/echo_gne\n" }),
      /no data builder named 'test\/echo_gne'/,
      /t\.yaml:2/,
      /did you mean 'test\/echo_gen'/,
    );
  });

  it("unknown block type", async () => {
    const r = await digitRun(
      {
        "t.yaml": GOOD_TASK,
        "override.yaml":
          "databuilders:\n  test/echo_gen:\n    blocks:\n      - name: generator\n        type: mokc\n",
      },
      [],
      { configPath: "override.yaml" },
    );
    expectCleanError(r, /no block named 'mokc'/, /override\.yaml:5/, /did you mean 'mock'/);
  });

  it("unknown datastore type", async () => {
    expectCleanError(
      await digitRun({ "t.yaml": `${GOOD_TASK}datastore:\n  type: defualt\n` }),
      /no datastore named 'defualt'/,
      /t\.yaml:6/,
      /did you mean 'default'/,
    );
  });

  it("${UNSET_VAR}", async () => {
    delete process.env.DIGIT_TEST_UNSET;
    expectCleanError(
      await digitRun({
        "t.yaml": `${GOOD_TASK}seed_datastore:\n  data_path: \${DIGIT_TEST_UNSET}/seeds.jsonl\n`,
      }),
      /'DIGIT_TEST_UNSET' is not set/,
      /t\.yaml:6/,
    );
  });

  it("missing seed or data file", async () => {
    expectCleanError(
      await digitRun({
        "t.yaml": `${GOOD_TASK}seed_datastore:\n  data_path: /no/such/seeds.jsonl\n`,
      }),
      /'\/no\/such\/seeds\.jsonl' does not exist/,
      /t\.yaml:6/,
    );
  });

  it("a seed file with a broken line names the line and the task file, and nothing is written", async () => {
    const r = await digitRun({
      "t.yaml": `${GOOD_TASK}seed_datastore:\n  data_path: $DIR/seeds.jsonl\n`,
      "seeds.jsonl": '{"text": "fine"}\n{"text": broken\n',
    });
    expectCleanError(
      r,
      /task 'test\/ok' \(.*t\.yaml\): line 2 is not valid JSON/,
      /seeds\.jsonl:2\)/,
    );
  });

  it("seed glob that matches nothing", async () => {
    expectCleanError(
      await digitRun({
        "t.yaml": `${GOOD_TASK}seed_datastore:\n  data_path: /no/such/dir/*.jsonl\n`,
      }),
      /no data file matches data_path '\/no\/such\/dir\/\*\.jsonl'/,
      /t\.yaml:6/,
    );
  });

  it("task_name that is not a string", async () => {
    expectCleanError(
      await digitRun({ "t.yaml": GOOD_TASK.replace("task_name: test/ok", "task_name: 42") }),
      /task_name must be a string, not the number 42/,
      /t\.yaml:1/,
      /quote it/,
    );
  });

  it.each(["../escape", "/abs/path", "a/../../up"])(
    "task_name %s escaping the output folder",
    async (name) => {
      expectCleanError(
        await digitRun({ "t.yaml": GOOD_TASK.replace("test/ok", name) }),
        /would write outside the output folder/,
        /t\.yaml:1/,
      );
    },
  );

  it("two tasks with the same name", async () => {
    expectCleanError(
      await digitRun({ "a.yaml": GOOD_TASK, "b.yaml": GOOD_TASK }),
      /two tasks are named 'test\/ok'/,
      /b\.yaml/,
      /a\.yaml/,
    );
  });

  it("a plugin file that throws on import names the file", async () => {
    const r = await digitRun(
      {
        "t.yaml": "task_name: test/x\ndata_builder: test/broken\n",
        "plugins/broken/builder.yaml": "name: test/broken\n",
        "plugins/broken/builder.ts":
          'import { registerDataBuilder } from "digit-sdg";\nthrow new Error("kaboom");\n@registerDataBuilder("test/broken")\nexport class B {}\n',
      },
      [],
      { pluginDir: ["plugins"] },
    );
    expectCleanError(r, /could not load '.*broken[/\\]builder\.ts': kaboom/);
  });

  it("an override keyed by a task name whose data_builder is another builder", async () => {
    const r = await digitRun(
      {
        "t.yaml": GOOD_TASK,
        "override.yaml": "databuilders:\n  test/ok:\n    data_builder: test/echo_transform\n",
      },
      [],
      { configPath: "override.yaml" },
    );
    expectCleanError(
      r,
      /entry 'test\/ok' names builder 'test\/echo_transform', but task 'test\/ok' uses 'test\/echo_gen'/,
      /override\.yaml:2\)/,
      /databuilders: \{test\/echo_gen: \.\.\.\}/,
    );
  });

  it("an override naming an unknown builder suggests the closest", async () => {
    const r = await digitRun(
      {
        "t.yaml": GOOD_TASK,
        "override.yaml": "databuilders:\n  test/echo_gne:\n    max_workers: 2\n",
      },
      [],
      { configPath: "override.yaml" },
    );
    expectCleanError(
      r,
      /no data builder named 'test\/echo_gne'/,
      /override\.yaml:2\)/,
      /test\/echo_gen/,
    );
  });

  it("a task file that is not YAML", async () => {
    const r = await digitRun({ "notes.txt": "hi" }, ["$DIR/notes.txt"]);
    expectCleanError(r, /is not a YAML file/);
  });
});
