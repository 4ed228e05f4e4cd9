import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { digit, ROOT, tempDir } from "./helpers.js";

const GOOD_TASK = `task_name: demo/gen
task_description: a task
data_builder: test/echo_gen
seed_examples:
  - text: seed one
  - text: seed two
`;

/** A working project (the engine's echo_gen test builder in ./plugins) with one file changed. */
function project(edit: (dir: string) => void): string {
  const dir = tempDir("digit-validate-");
  cpSync(join(ROOT, "test/fixtures/engine/plugins/echo_gen"), join(dir, "plugins/echo_gen"), {
    recursive: true,
  });
  writeFileSync(join(dir, "task.yaml"), GOOD_TASK);
  // As in a user project that installed digit: its dependencies (zod) resolve from node_modules.
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  edit(dir);
  return dir;
}

const patch = (file: string, from: string | RegExp, to: string) =>
  writeFileSync(file, readFileSync(file, "utf8").replace(from, to));

/** Check the one-paragraph error: message, file:line, fix, code, no stack, nothing written. */
async function expectRejected(
  dir: string,
  args: string[],
  o: { message: RegExp; file: string; line?: number | string; hint?: RegExp; code: string },
): Promise<string> {
  const r = await digit(["validate", ...args], { cwd: dir });
  const err = r.stderr
    .split("\n")
    .filter((l) => !l.startsWith("npm warn"))
    .join("\n");
  expect(r.code, err).toBe(1);
  expect(err).toMatch(/^digit: /);
  expect(err).toMatch(o.message);
  const at =
    o.line === undefined
      ? new RegExp(`\\(.*${escapeRegExp(o.file)}(:\\d+)?\\)`)
      : new RegExp(`\\(.*${escapeRegExp(o.file)}:${o.line}\\)`);
  expect(err).toMatch(at);
  expect(err).toMatch(/\n {2}fix: /);
  if (o.hint) expect(err).toMatch(o.hint);
  expect(err).toContain(`[${o.code}]`);
  expect(err).not.toMatch(/\n\s+at .*:\d+:\d+/);
  expect(err).not.toMatch(/internal error/);
  expect(existsSync(join(dir, "output"))).toBe(false);
  return err;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("digit validate", () => {
  it("accepts a valid project, writes nothing, exit code 0", async () => {
    const dir = project(() => {});
    const r = await digit(["validate", "task.yaml"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok: 1 task and 1 builder are valid/);
    expect(existsSync(join(dir, "output"))).toBe(false);
    expect(existsSync(join(dir, "telemetry"))).toBe(false);
  });

  it("passes a dataloader key its type ignores, with a warning naming file:line and the closest key", async () => {
    const dir = project((d) =>
      writeFileSync(join(d, "task.yaml"), `${GOOD_TASK}dataloader:\n  loop_ovr: true\n`),
    );
    const r = await digit(["validate", "task.yaml"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning: "));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /task\.yaml:8: task 'demo\/gen' dataloader: unknown key 'loop_ovr' \(ignored\); did you mean 'loop_over'\?$/,
    );
  });

  it("YAML syntax error", async () => {
    const dir = project((d) =>
      writeFileSync(
        join(d, "task.yaml"),
        "task_name: demo/gen\ndata_builder: test/echo_gen\nseed_examples:\n  - text: [unclosed\n",
      ),
    );
    await expectRejected(dir, ["task.yaml"], {
      message: /YAML|yaml/,
      file: "task.yaml",
      line: "[45]",
      code: "DIGIT_YAML_SYNTAX",
    });
  });

  it("missing task_name", async () => {
    const dir = project((d) => patch(join(d, "task.yaml"), "task_name: demo/gen\n", ""));
    await expectRejected(dir, ["task.yaml"], {
      message: /task_name/,
      file: "task.yaml",
      line: 1,
      code: "DIGIT_CONFIG_INVALID",
    });
  });

  it("missing data_builder", async () => {
    const dir = project((d) => patch(join(d, "task.yaml"), "data_builder: test/echo_gen\n", ""));
    await expectRejected(dir, ["task.yaml"], {
      message: /data_builder/,
      file: "task.yaml",
      line: 1,
      hint: /digit list builders/,
      code: "DIGIT_CONFIG_INVALID",
    });
  });

  it("unknown key in a task, with did-you-mean", async () => {
    const dir = project((d) => patch(join(d, "task.yaml"), "seed_examples:", "seed_exmaples:"));
    await expectRejected(dir, ["task.yaml"], {
      message: /unknown key 'seed_exmaples'/,
      file: "task.yaml",
      line: 4,
      hint: /did you mean 'seed_examples'/,
      code: "DIGIT_CONFIG_INVALID",
    });
  });

  it("unknown key in a builder, with did-you-mean", async () => {
    const dir = project((d) =>
      patch(
        join(d, "plugins/echo_gen/builder.yaml"),
        "postprocessors:",
        "max_stalled_attemps: 3\npostprocessors:",
      ),
    );
    await expectRejected(dir, ["task.yaml"], {
      message: /unknown key 'max_stalled_attemps'/,
      file: "builder.yaml",
      line: 11,
      hint: /did you mean 'max_stalled_attempts'/,
      code: "DIGIT_CONFIG_INVALID",
    });
  });

  it("unknown key in a block config, with did-you-mean", async () => {
    const dir = project((d) =>
      patch(
        join(d, "plugins/echo_gen/builder.yaml"),
        "    model_id_or_path: mock\n",
        "    model_id_or_path: mock\n    temprature: 0.5\n",
      ),
    );
    await expectRejected(dir, ["task.yaml"], {
      message: /unknown key 'temprature'/,
      file: "builder.yaml",
      line: 6,
      hint: /did you mean 'temperature'/,
      code: "DIGIT_CONFIG_INVALID",
    });
  });

  it("unknown builder", async () => {
    const dir = project((d) =>
      patch(join(d, "task.yaml"), "data_builder: test/echo_gen", "data_builder: test/echo_genn"),
    );
    await expectRejected(dir, ["task.yaml"], {
      message: /no data builder named 'test\/echo_genn'/,
      file: "task.yaml",
      line: 3,
      hint: /did you mean 'test\/echo_gen'/,
      code: "DIGIT_UNKNOWN_DATABUILDER",
    });
  });

  it("unknown block type", async () => {
    const dir = project((d) =>
      patch(join(d, "plugins/echo_gen/builder.yaml"), "type: mock", "type: mokc"),
    );
    await expectRejected(dir, ["task.yaml"], {
      message: /no block named 'mokc'/,
      file: "builder.yaml",
      line: 4,
      hint: /did you mean 'mock'/,
      code: "DIGIT_UNKNOWN_BLOCK",
    });
  });

  it("unknown datastore type", async () => {
    const dir = project((d) => {
      writeFileSync(join(d, "seeds.jsonl"), '{"text": "a"}\n');
      patch(
        join(d, "task.yaml"),
        /seed_examples:[\s\S]*$/,
        "seed_datastore:\n  type: defualt\n  data_path: seeds.jsonl\n",
      );
    });
    await expectRejected(dir, ["task.yaml"], {
      message: /no datastore named 'defualt'/,
      file: "task.yaml",
      line: 5,
      hint: /did you mean 'default'/,
      code: "DIGIT_UNKNOWN_DATASTORE",
    });
  });

  it("${UNSET_VAR}", async () => {
    const dir = project((d) =>
      patch(
        join(d, "task.yaml"),
        "task_description: a task",
        "task_description: ${DIGIT_TEST_SURELY_UNSET}",
      ),
    );
    await expectRejected(dir, ["task.yaml"], {
      message: /'DIGIT_TEST_SURELY_UNSET' is not set/,
      file: "task.yaml",
      line: 2,
      hint: /\.env/,
      code: "DIGIT_ENV_UNSET",
    });
  });

  it("missing seed data file", async () => {
    const dir = project((d) =>
      patch(
        join(d, "task.yaml"),
        /seed_examples:[\s\S]*$/,
        "seed_datastore:\n  type: default\n  data_path: no/such/seeds.jsonl\n",
      ),
    );
    await expectRejected(dir, ["task.yaml"], {
      message: /'no\/such\/seeds\.jsonl' does not exist/,
      file: "task.yaml",
      line: 6,
      code: "DIGIT_FILE_NOT_FOUND",
    });
  });

  it("task_name that escapes the output folder (relative and absolute)", async () => {
    const dir = project((d) =>
      patch(join(d, "task.yaml"), "task_name: demo/gen", "task_name: ../escape"),
    );
    await expectRejected(dir, ["task.yaml"], {
      message: /task_name/,
      file: "task.yaml",
      line: 1,
      code: "DIGIT_CONFIG_INVALID",
    });
    const abs = project((d) =>
      patch(join(d, "task.yaml"), "task_name: demo/gen", "task_name: /tmp/escape"),
    );
    await expectRejected(abs, ["task.yaml"], {
      message: /task_name/,
      file: "task.yaml",
      line: 1,
      code: "DIGIT_CONFIG_INVALID",
    });
  });

  it("two tasks with the same name", async () => {
    const dir = project((d) => writeFileSync(join(d, "task2.yaml"), GOOD_TASK));
    await expectRejected(dir, ["task.yaml", "task2.yaml"], {
      message: /two tasks are named 'demo\/gen'/,
      file: "task2.yaml",
      hint: /task\.yaml/,
      code: "DIGIT_CONFIG_INVALID",
    });
  });

  it("a plugin file that throws on import names the file", async () => {
    const dir = project((d) =>
      patch(join(d, "plugins/echo_gen/builder.ts"), /^/, 'throw new Error("plugin exploded");\n'),
    );
    await expectRejected(dir, ["task.yaml"], {
      message: /could not load .*builder\.ts.*plugin exploded/,
      file: "builder.ts",
      code: "DIGIT_PLUGIN_LOAD",
    });
  });

  it("reports every broken task file, not only the first", async () => {
    const dir = project((d) => {
      writeFileSync(
        join(d, "a.yaml"),
        GOOD_TASK.replace("demo/gen", "demo/a").replace("seed_examples:", "seed_exmaples:"),
      );
      writeFileSync(
        join(d, "b.yaml"),
        GOOD_TASK.replace("demo/gen", "demo/b").replace("test/echo_gen", "test/nope"),
      );
    });
    const r = await digit(["validate", "a.yaml", "b.yaml", "task.yaml"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/seed_exmaples/);
    expect(r.stderr).toMatch(/test\/nope/);
    expect(r.stderr).toMatch(/2 problems found/);
  });
});
