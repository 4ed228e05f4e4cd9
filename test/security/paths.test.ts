/**
 * Security regression tests for issue 13 (paths): nothing a task or builder file says, and no link
 * planted in an output folder, makes `digit` write outside the output folder; mistakes in output
 * keys are refused before anything is written. Each test runs the real CLI on a fixture project.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DefaultDatastore } from "../../src/stores/default/index.js";
import { MultiTargetDatastore } from "../../src/stores/multi-target/index.js";
import type { Logger } from "../../src/telemetry/logger.js";
import { type CliResult, digit, ROOT, tempDir } from "../cli/helpers.js";

const TASK = `task_name: demo/gen
task_description: a task
data_builder: test/echo_gen
seed_examples:
  - text: seed one
  - text: seed two
`;

/** A project using the engine's echo_gen test builder (a mock LLM block, no network) with `task` as its task.yaml. */
function project(task: string = TASK, edit: (dir: string) => void = () => {}): string {
  const dir = tempDir("digit-sec-paths-");
  cpSync(join(ROOT, "test/fixtures/engine/plugins/echo_gen"), join(dir, "plugins/echo_gen"), {
    recursive: true,
  });
  writeFileSync(join(dir, "task.yaml"), task);
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  edit(dir);
  return dir;
}

const withKey = (yaml: string) => `${TASK}${yaml}`;
const errorText = (r: CliResult) =>
  r.stderr
    .split("\n")
    .filter((l) => !l.startsWith("npm warn"))
    .join("\n");

/** A refused command: exit 1, the one-paragraph error with code, no stack trace, no internal error. */
function expectRefused(r: CliResult, message: RegExp, code = "DIGIT_CONFIG_INVALID"): string {
  const err = errorText(r);
  expect(r.code, err).toBe(1);
  expect(err).toMatch(message);
  expect(err).toContain(`[${code}]`);
  expect(err).not.toMatch(/internal error/);
  expect(err).not.toMatch(/\n\s+at .*:\d+:\d+/);
  return err;
}

/** Every file below `dir`, relative to it. */
function filesIn(dir: string): string[] {
  return existsSync(dir) ? (readdirSync(dir, { recursive: true }) as string[]).sort() : [];
}

const run = (dir: string, ...args: string[]) =>
  digit(["run", "task.yaml", "--num-outputs-to-generate", "3", ...args], { cwd: dir });
const validate = (dir: string) => digit(["validate", "task.yaml"], { cwd: dir });

describe("paths: config keys cannot climb out of the output folder", () => {
  it("store_name '../victim/precious' is refused by run --restart and validate; the victim's data.jsonl is untouched", async () => {
    const dir = project(withKey("store_name: ../victim/precious\n"));
    const victim = join(dir, "victim/precious");
    mkdirSync(victim, { recursive: true });
    writeFileSync(join(victim, "data.jsonl"), '{"precious": 1}\n');
    const r = await run(dir, "--restart");
    expectRefused(
      r,
      /store_name '\.\.\/victim\/precious' would write outside the output folder \(.*task\.yaml:7\)/,
    );
    expect(readFileSync(join(victim, "data.jsonl"), "utf8")).toBe('{"precious": 1}\n');
    expect(filesIn(victim)).toEqual(["data.jsonl"]);
    expect(existsSync(join(dir, "output"))).toBe(false);
    expectRefused(await validate(dir), /store_name '\.\.\/victim\/precious' would write outside/);
  });

  it("a store_name inside 'datastore:' that climbs out is refused too", async () => {
    const dir = project(withKey("datastore:\n  type: default\n  store_name: ../../elsewhere\n"));
    expectRefused(
      await validate(dir),
      /store_name '\.\.\/\.\.\/elsewhere' would write outside the output folder \(.*task\.yaml:9\)/,
    );
  });

  it("a block name that climbs out of blocks/ is refused before anything is written", async () => {
    const dir = project(TASK, (d) => {
      const f = join(d, "plugins/echo_gen/builder.yaml");
      writeFileSync(
        f,
        readFileSync(f, "utf8").replaceAll("name: check", "name: ../../../../escaped"),
      );
    });
    const err = expectRefused(
      await run(dir),
      /block name '\.\.\/\.\.\/\.\.\/\.\.\/escaped' would write outside the task's blocks\/ folder/,
    );
    expect(err).toMatch(/builder\.yaml:\d+/);
    expect(existsSync(join(dir, "output"))).toBe(false);
    expect(existsSync(join(dir, "escaped.jsonl"))).toBe(false);
  });

  it("multi_target: a relative output_dir that climbs out is refused; an absolute one is explicit and allowed", async () => {
    const climbing = project(
      withKey(
        "datastore:\n  type: multi_target\n  primary: { type: default }\n  additional:\n    - { type: default, output_dir: ../exports }\n",
      ),
    );
    const err = expectRefused(
      await validate(climbing),
      /additional\[0\] output_dir '\.\.\/exports' climbs out of the working directory/,
    );
    expect(err).toMatch(/task\.yaml:11/);

    const exports = tempDir("digit-sec-exports-");
    const absolute = project(
      withKey(
        `datastore:\n  type: multi_target\n  primary: { type: default }\n  additional:\n    - { type: default, output_dir: ${exports} }\n`,
      ),
    );
    const ok = await validate(absolute);
    expect(ok.code, errorText(ok)).toBe(0);
  });

  it("runner_config output_dir that climbs out of the working directory is refused", async () => {
    const dir = project(withKey("runner_config:\n  output_dir: ../../shared/out\n"));
    expectRefused(
      await validate(dir),
      /runner_config output_dir '\.\.\/\.\.\/shared\/out' climbs out/,
    );
  });
});

describe("paths: links in the output folder are not written through", () => {
  it("a task folder linked outside the output folder is refused; nothing is written there", async () => {
    const dir = project();
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere);
    mkdirSync(join(dir, "output"));
    symlinkSync(elsewhere, join(dir, "output/demo"), "dir");
    const err = expectRefused(
      await run(dir),
      /output\/demo' \(a folder on the way to .*\) is a symbolic link to .*elsewhere', outside the output folder/,
      "DIGIT_OUTPUT_OUTSIDE",
    );
    expect(err).toMatch(/fix: remove the link/);
    expect(filesIn(elsewhere)).toEqual([]);
  });

  it("a data.jsonl linked to a foreign file is refused on resume; the foreign file is untouched", async () => {
    const dir = project();
    const task = join(dir, "output/demo/gen");
    mkdirSync(task, { recursive: true });
    const foreign = join(dir, "foreign.jsonl");
    const records =
      '{"task_name":"demo/gen","is_seed":false,"text":"a","id":"x1"}\n{"task_name":"demo/gen","is_seed":false,"text":"b","id":"x2"}\n';
    writeFileSync(foreign, records);
    symlinkSync(foreign, join(task, "data.jsonl"));
    // A consistent checkpoint: the two records are committed, so a resume appends after them.
    writeFileSync(
      join(task, "dataloader_state.jsonl"),
      '{"iter_index":0,"row_index":2,"data_rows":2,"postproc_epoch":0,"postproc_data_rows":0}\n',
    );
    const err = expectRefused(
      await run(dir, "--num-outputs-to-generate", "5"),
      /data\.jsonl' is a symbolic link to .*foreign\.jsonl', outside the output folder/,
      "DIGIT_OUTPUT_OUTSIDE",
    );
    expect(err).toMatch(/data\.jsonl\)/);
    expect(readFileSync(foreign, "utf8")).toBe(records);
  });
});

describe("paths: stores do not write through links (in process)", () => {
  const quiet = (warnings: string[]): Logger => {
    const l: Logger = {
      debug: () => {},
      info: () => {},
      warn: (m) => void warnings.push(m),
      error: () => {},
      child: () => l,
    };
    return l;
  };

  it("a link planted under a store's temporary name is replaced, not written through", async () => {
    const dir = tempDir("digit-sec-tmp-");
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "keep\n");
    mkdirSync(join(dir, "output/qa"), { recursive: true });
    symlinkSync(victim, join(dir, `output/qa/final_data.json.tmp-${process.pid}`));
    const store = new DefaultDatastore({
      type: "default",
      store_name: "qa/final_data",
      output_dir: join(dir, "output"),
      output_data_format: "json",
    });
    await store.replace([{ a: 1 }]);
    expect(readFileSync(victim, "utf8")).toBe("keep\n");
    expect(JSON.parse(readFileSync(join(dir, "output/qa/final_data.json"), "utf8"))).toEqual([
      { a: 1 },
    ]);
  });

  it("a store built by a builder from its own config refuses a relative output_dir that climbs out", () => {
    const make = (output_dir: string) =>
      new DefaultDatastore({
        type: "default",
        store_name: "qa/knowledge_data",
        output_dir,
        restart: true,
      });
    expect(() => make("../../victim")).toThrow(
      /output_dir '\.\.\/\.\.\/victim' climbs out of the working directory/,
    );
    expect(() => make("/srv/explicit")).not.toThrow();
  });

  it("a multi_target extra target whose file links outside its folder is not written (the run goes on, with a warning)", async () => {
    const dir = tempDir("digit-sec-multi-");
    const victim = join(dir, "victim.jsonl");
    writeFileSync(victim, '{"keep": 1}\n');
    mkdirSync(join(dir, "exports/qa"), { recursive: true });
    symlinkSync(victim, join(dir, "exports/qa/data.jsonl"));
    const warnings: string[] = [];
    const store = new MultiTargetDatastore({
      type: "multi_target",
      store_name: "qa/data",
      output_dir: join(dir, "output"),
      primary: { type: "default" },
      additional: [{ type: "default", output_dir: join(dir, "exports") }],
    });
    await store.prepare({ logger: quiet(warnings) });
    await store.append([{ a: 1 }]);
    expect(readFileSync(victim, "utf8")).toBe('{"keep": 1}\n');
    expect(warnings.join("\n")).toMatch(
      /data\.jsonl' is a symbolic link to .*victim\.jsonl', outside the output folder/,
    );
    expect(await store.readAll()).toEqual([{ a: 1 }]);
  });
});

describe("paths: output keys are checked before anything is written", () => {
  it("output_data_format: yaml fails validate and run, and run creates no output folder", async () => {
    const dir = project(withKey("datastore:\n  type: default\n  output_data_format: yaml\n"));
    expectRefused(
      await validate(dir),
      /output_data_format 'yaml' is not supported.*\(.*task\.yaml:9\)/,
    );
    expectRefused(await run(dir), /output_data_format 'yaml' is not supported/);
    expect(existsSync(join(dir, "output"))).toBe(false);
  });

  it("output_data_format: [parquet] is refused with a hint, not taken as parquet", async () => {
    const dir = project(withKey("datastore:\n  type: default\n  output_data_format: [parquet]\n"));
    const err = expectRefused(
      await validate(dir),
      /output_data_format must be one format, not a list/,
    );
    expect(err).toMatch(/fix: write output_data_format: parquet \(without the brackets\)/);
  });

  it("task_name: too long, with a newline, blank, or a segment with surrounding spaces is refused before anything is written", async () => {
    const cases: [string, RegExp][] = [
      [
        `demo/${"x".repeat(300)}`,
        /task_name 'demo\/x+…' has a path segment of 300 bytes; at most 255 fit in a file name \(.*long\.yaml:1\)/,
      ],
      ['"demo\\ngen"', /task_name 'demo\\ngen' contains a control character \(.*newline\.yaml:1\)/],
      ['"   "', /task_name ' {3}' is blank \(.*blank\.yaml:1\)/],
      [
        '"demo/ gen"',
        /task_name 'demo\/ gen' has a path segment ' gen' that starts or ends with whitespace \(.*spaced\.yaml:1\)/,
      ],
    ];
    const files = ["long.yaml", "newline.yaml", "blank.yaml", "spaced.yaml"];
    const dir = project(TASK, (d) => {
      cases.forEach(([name], i) => {
        writeFileSync(
          join(d, files[i]!),
          TASK.replace("task_name: demo/gen", `task_name: ${name}`),
        );
      });
    });
    // validate checks each file on its own and reports every problem.
    const r = await digit(["validate", ...files], { cwd: dir });
    for (const [, message] of cases) expectRefused(r, message);
    expect(errorText(r)).toMatch(/4 problems found/);
    // The run that used to fail with ENAMETOOLONG after creating the folder.
    expectRefused(await digit(["run", "long.yaml"], { cwd: dir }), cases[0]![1]);
    expect(existsSync(join(dir, "output"))).toBe(false);
  });

  it("validate reads the seed file: a broken JSONL line is reported with file and line", async () => {
    const dir = project(
      TASK.replace(
        /seed_examples:[\s\S]*$/,
        "seed_datastore:\n  type: default\n  data_path: seeds.jsonl\n",
      ),
      (d) => {
        writeFileSync(
          join(d, "seeds.jsonl"),
          '{"text": "one"}\n{"text": "two"}\n{"text": broken\n{"text": "four"}\n',
        );
      },
    );
    const err = expectRefused(await validate(dir), /line 3 is not valid JSON/, "DIGIT_DATA_FILE");
    expect(err).toMatch(/seeds\.jsonl:3\)/);
    // The same file with the line fixed is valid.
    writeFileSync(join(dir, "seeds.jsonl"), '{"text": "one"}\n{"text": "two"}\n');
    const ok = await validate(dir);
    expect(ok.code, errorText(ok)).toBe(0);
  });
});
