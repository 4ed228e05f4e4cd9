import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { loadYamlWithIncludes } from "../../src/config/include.js";
import {
  ConfigError,
  isDigitError,
  TemplateForbiddenError,
  YamlSyntaxError,
} from "../../src/errors.js";
import { TemplateFormatter } from "../../src/formatters/template/index.js";
import { renderTemplate } from "../../src/templates/template.js";
import { setPath } from "../../src/util/paths.js";
import { digit, ROOT, tempDir } from "../cli/helpers.js";

// Every payload tries to create MARKER; the sandbox must refuse it with a TemplateForbiddenError
// and nothing may run.
const dir = mkdtempSync(join(tmpdir(), "digit-ssti-"));
const MARKER = join(dir, "pwned");
const CODE = `return process.getBuiltinModule('fs').writeFileSync('${MARKER}', 'pwned')`;
const WRITE = `process.getBuiltinModule('fs').writeFileSync('${MARKER}', 'pwned')`;

afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => rmSync(MARKER, { force: true }));

/** Fresh variables for each render: a payload that got through could have changed them. */
const variables = () => ({ x: { a: 1 }, s: "text", list: [1, 2] });

const payloads: Record<string, string> = {
  "range.constructor (the reported payload)": `{{ range.constructor("${CODE}")() }}`,
  "cycler.constructor": `{{ cycler.constructor("${CODE}")() }}`,
  "joiner.constructor": `{{ joiner.constructor("${CODE}")() }}`,
  "lipsum.constructor": `{{ lipsum.constructor("${CODE}")() }}`,
  'string literal "".constructor.constructor': `{{ "".constructor.constructor("${CODE}")() }}`,
  "list literal [].constructor.constructor": `{{ [].constructor.constructor("${CODE}")() }}`,
  "number literal constructor": `{{ (1).constructor.constructor("${CODE}")() }}`,
  "data object constructor.__proto__.constructor": `{{ x.constructor.__proto__.constructor("${CODE}")() }}`,
  "key built by + concatenation": `{{ range["constr" + "uctor"]("${CODE}")() }}`,
  "key built by ~ concatenation": `{{ range["constr" ~ "uctor"]("${CODE}")() }}`,
  "key held in a {% set %} variable": `{% set k = "constr" + "uctor" %}{% set f = range[k] %}{{ f("${CODE}")() }}`,
  "macro's constructor through a computed key": `{% macro m() %}{% endmacro %}{{ m["constr" ~ "uctor"]("${CODE}")() }}`,
  "__proto__ of data": `{{ x.__proto__ }}`,
  "__proto__ through a computed key": `{{ x["__pro" ~ "to__"] }}`,
  __lookupGetter__: `{{ range.__lookupGetter__("__proto__") }}`,
  "__defineGetter__ through a computed key": `{{ x["__define" ~ "Getter__"]("a", range) }}`,
  "Function.prototype.call": `{{ range["ca" ~ "ll"]() }}`,
  "Function.prototype.bind": `{{ range["bi" ~ "nd"]() }}`,
  "Function.prototype.apply": `{{ range["app" ~ "ly"]() }}`,
  "inherited function method toString": `{{ range["toStr" ~ "ing"]() }}`,
  "the variables' inherited constructor as a name": `{{ constructor["constr" ~ "uctor"]("${CODE}")() }}`,
  "the variables' inherited valueOf (reaches the render context)": `{{ valueOf().env }}`,
  "a filter named after an Object.prototype member": `{{ "${CODE}" | constructor }}`,
  "the attr filter (Jinja) on constructor": `{{ range | attr("constructor") }}`,
  "{% include %} of a system file": `{% include "/etc/passwd" %}`,
  "{% import %} of a file": `{% import "/etc/passwd" as p %}`,
  "{% from … import %}": `{% from "/etc/passwd" import p %}`,
  "{% extends %}": `{% extends "/etc/passwd" %}`,
  // nunjucks pastes these names into its generated JavaScript without escaping them.
  "compiler injection through a quoted {% set %} target": `{% set "x\\", ${WRITE});//" = 1 %}`,
  "compiler injection through a call name holding a backslash": `{{ x["\\\\\\", ${WRITE})), 0);//"]() }}`,
  "compiler injection through a quoted test name": `{% if 1 is "x\\").call(context, ${WRITE})) {}//" %}{% endif %}`,
  "a symbol holding a quote": `{{ a"b }}`,
  "{% set __proto__ %} (replaces the variables' prototype)": `{% set __proto__ = range %}{{ bind }}`,
  "select with a test named after an Object.prototype member": `{{ list | select("constructor") }}`,
};

describe("templates cannot run code or reach outside the template", () => {
  it.each(Object.entries(payloads))("refuses %s, and nothing runs", (_name, template) => {
    let error: unknown;
    try {
      renderTemplate(template, variables());
    } catch (e) {
      error = e;
    }
    expect(existsSync(MARKER)).toBe(false);
    expect(error).toBeInstanceOf(TemplateForbiddenError);
    expect((error as TemplateForbiddenError).code).toBe("DIGIT_TEMPLATE_FORBIDDEN");
  });

  it("reads a computed key once, so a key whose toString answers differently each time cannot pass the check as one name and be read as another", () => {
    // nunjucks itself converts the key twice: first "a" (not a function), then "constructor".
    const template = `{% set c = cycler("a", "constructor") %}{{ range[{ toString: c.next }]("${CODE}")() }}`;
    expect(() => renderTemplate(template, variables())).toThrow(/Unable to call/);
    expect(existsSync(MARKER)).toBe(false);
  });

  it("refuses a forbidden member on the plain-substitution path too", () => {
    // `{{ x.__proto__ }}` has the shape the fast path renders without nunjucks.
    expect(() => renderTemplate("Q: {{ x.__proto__ }}", variables())).toThrow(
      TemplateForbiddenError,
    );
    expect(() => renderTemplate("Q: {{ s.constructor }}", variables())).toThrow(
      TemplateForbiddenError,
    );
  });

  it("names the template's file and line in the refusal", () => {
    let error: unknown;
    try {
      renderTemplate(
        `line one\n{{ range["constr" ~ "uctor"]("${CODE}")() }}`,
        {},
        { file: "builders/x/prompt.txt" },
      );
    } catch (e) {
      error = e;
    }
    expect(isDigitError(error)).toBe(true);
    const e = error as TemplateForbiddenError;
    expect(e.file).toBe("builders/x/prompt.txt");
    expect(e.message).toContain("line 2");
    expect(e.message).toContain("'constructor'");
    expect(e.format()).not.toContain("    at ");
  });

  it("reports a template that does not parse as a TemplateError with its line", () => {
    expect(() => renderTemplate("a\n{% if %}", {}, { file: "p.txt" })).toThrow(
      /line 2 of the template/,
    );
    expect(() => renderTemplate("a\n{{ nope() }}", {}, { file: "p.txt" })).toThrow(
      /line 2 of the template: Unable to call `nope`/,
    );
  });

  it("refuses the reported formatter payload when the formatter is created, naming the task file", () => {
    const format = { text: `{{ range.constructor("${CODE}")() }}` };
    let error: unknown;
    try {
      new TemplateFormatter({ format }, { file: "tasks/evil/task.yaml" }).apply({ q: 1 });
    } catch (e) {
      error = e;
    }
    expect(existsSync(MARKER)).toBe(false);
    expect(error).toBeInstanceOf(TemplateForbiddenError);
    expect((error as TemplateForbiddenError).file).toBe("tasks/evil/task.yaml");
    expect((error as TemplateForbiddenError).message).toContain("formatter format 'text'");
  });
});

describe("legitimate templates still render", () => {
  it.each([
    ["{{ s | upper }} {{ list | join('-') }} {{ list | length }}", "TEXT 1-2 2"],
    ["{% for i in range(3) %}{{ i }}{% endfor %}", "012"],
    ["{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}", "aba"],
    ["{% set j = joiner(',') %}{% for i in list %}{{ j() }}{{ i }}{% endfor %}", "1,2"],
    [
      "{% macro m(v, w='!') %}<{{ v }}{{ w }}>{% endmacro %}{{ m(s) }}{{ m(1, w='?') }}",
      "<text!><1?>",
    ],
    ["{% macro m() %}[{{ caller() }}]{% endmacro %}{% call m() %}in{% endcall %}", "[in]"],
    [
      "{{ s.toUpperCase() }} {{ ' x '.trim() }} {{ s.split('x') | join('|') }} {{ (2.5).toFixed(1) }}",
      "TEXT x te|t 2.5",
    ],
    [
      "{{ list.concat([3]).join('') }} {{ x.a }} {{ x['a'] }} {{ s.length }} {{ list[1] }}",
      "123 1 1 4 2",
    ],
    ["{{ f(2) }} {{ obj.double(3) }}", "4 6"],
    ["{% if s is string %}yes{% endif %} {{ 'a' if x.a else 'b' }}", "yes a"],
  ])("renders %j", (template, expected) => {
    const vars = { ...variables(), f: (n: number) => n * 2, obj: { double: (n: number) => n * 2 } };
    expect(renderTemplate(template, vars)).toBe(expected);
  });

  it("does not read names a data key called __proto__ slipped under the variables", () => {
    const row = JSON.parse('{"__proto__": {"hidden": "from the prototype"}, "a": 1}') as Record<
      string,
      unknown
    >;
    expect(renderTemplate("{% if true %}[{{ hidden }}]{{ a }}{% endif %}", row)).toBe("[]1");
  });

  it("reads a data field named like a forbidden member only as a variable the data defines", () => {
    expect(renderTemplate("{{ constructor }}!", { constructor: "own field" })).toBe("own field!");
  });
});

describe("hostile YAML configuration files", () => {
  it("reports a billion-laughs task file as a YAML error naming the file, without a stack trace", () => {
    let yaml = 'task_name: lol\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    const names = "abcdefghi";
    for (let i = 1; i < 9; i++)
      yaml += `${names[i]}: &${names[i]} [${Array(9)
        .fill(`*${names[i - 1]}`)
        .join(",")}]\n`;
    const file = join(dir, "lol.yaml");
    writeFileSync(file, yaml);
    let error: unknown;
    try {
      loadYamlWithIncludes(file, dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(YamlSyntaxError);
    expect((error as YamlSyntaxError).file).toBe(file);
    expect((error as YamlSyntaxError).format()).not.toContain("    at ");
  });

  it("refuses one wide anchor named many times before copying it out", () => {
    const file = join(dir, "wide.yaml");
    writeFileSync(
      file,
      `task_name: wide\na: &a [${Array(10_000).fill("1").join(",")}]\nb: [${Array(1000).fill("*a").join(", ")}]\n`,
    );
    expect(() => loadYamlWithIncludes(file, dir)).toThrow(YamlSyntaxError);
  });
});

describe("field paths from configuration", () => {
  it("refuses __proto__, constructor and prototype in a field path, so a write cannot pollute every object", () => {
    const row: Record<string, unknown> = {};
    expect(() => setPath(row, "__proto__.polluted", "yes")).toThrow(
      /may not be used in a field path/,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => setPath(row, "a.constructor.prototype.p", "yes")).toThrow(/may not be used/);
  });

  it("refuses such a path in a block's output_map when the block is created", async () => {
    const { Block } = await import("../../src/blocks/block.js");
    class Echo extends Block {
      async execute(rows: never[]): Promise<never[]> {
        return rows;
      }
    }
    expect(
      () =>
        new Echo({
          name: "echo",
          type: "echo",
          output_map: { result: "__proto__.polluted" },
        } as never),
    ).toThrow(ConfigError);
  });
});

describe("the reported formatter payload through the CLI", () => {
  /** A project whose task's formatter holds the reported payload (echo_gen needs no LLM). */
  function project(): string {
    const root = tempDir("digit-ssti-cli-");
    cpSync(join(ROOT, "test/fixtures/engine/plugins/echo_gen"), join(root, "plugins/echo_gen"), {
      recursive: true,
    });
    symlinkSync(join(ROOT, "node_modules"), join(root, "node_modules"), "dir");
    const format = `{{ range.constructor("${CODE}")() }}`;
    writeFileSync(
      join(root, "task.yaml"),
      `task_name: demo/gen\ntask_description: a task\ndata_builder: test/echo_gen\nseed_examples:\n  - text: seed one\nformatter:\n  type: formatters/template\n  format: ${JSON.stringify(format)}\n`,
    );
    return root;
  }

  it.each([["validate"], ["run"]])(
    "digit %s refuses it before writing anything, naming the task file",
    async (command) => {
      const root = project();
      try {
        const args =
          command === "run"
            ? ["run", "task.yaml", "--num-outputs-to-generate", "1", "--save-formatted-output"]
            : ["validate", "task.yaml"];
        const r = await digit(args, { cwd: root });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain("[DIGIT_TEMPLATE_FORBIDDEN]");
        expect(r.stderr).toMatch(/\(.*task\.yaml\)/);
        expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
        expect(existsSync(MARKER)).toBe(false);
        expect(existsSync(join(root, "output"))).toBe(false);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );
});
