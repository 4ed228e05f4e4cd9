import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { renderTemplate, substitution } from "./template.js";

describe("renderTemplate", () => {
  it("renders Jinja-style variables without HTML escaping", () => {
    expect(renderTemplate('Say "{{ a }}" & {{ b }}', { a: "<hi>", b: 2 })).toBe('Say "<hi>" & 2');
  });

  it("renders one template with new variables each time (compiled once)", () => {
    const t = "{% for x in xs %}{{ x }};{% endfor %}";
    expect(renderTemplate(t, { xs: [1, 2] })).toBe("1;2;");
    expect(renderTemplate(t, { xs: ["a"] })).toBe("a;");
    expect(renderTemplate(t, { xs: [] })).toBe("");
  });

  it("reports a template syntax error every time it is used", () => {
    expect(() => renderTemplate("{% if %}", {})).toThrow();
    expect(() => renderTemplate("{% if %}", {})).toThrow();
  });
});

describe("renderTemplate's substitution path", () => {
  // Differential: every case must render exactly as nunjucks itself does.
  const nunjucks = createRequire(import.meta.url)("nunjucks") as typeof import("nunjucks");
  const env = new nunjucks.Environment(null, {
    autoescape: false,
    throwOnUndefined: false,
    trimBlocks: false,
  });
  const reference = (t: string, v: Record<string, unknown>) =>
    new nunjucks.Template(t, env, undefined, true).render(v);
  const values: Record<string, unknown> = {
    s: "text <b>&</b> {{ not a tag }}",
    n: 3.5,
    zero: -0,
    big: 12n,
    yes: true,
    nil: null,
    undef: undefined,
    list: [1, [2, 3], "x"],
    obj: { a: { b: "deep" }, n: 0, f: () => "fn" },
    empty: "",
    true: "not the literal",
    range: "shadows a global",
  };
  const templates = [
    "plain text, no placeholders",
    "{{ s }}",
    "{{s}} and {{ n }} and {{  zero  }}",
    "{{ big }} {{ yes }} [{{ nil }}] [{{ undef }}] [{{ missing }}]",
    "{{ list }} / {{ obj }} / {{ obj.a.b }} / {{ obj.n }} / {{ obj.a.missing }} / {{ missing.deeper }}",
    "{{ s.length }} {{ empty }}!",
    "multi\nline {{\n  n\n}} text }} with a stray closer",
    "{{ true }} {{ range }} {{ obj.f }} {{ cycler }}",
    "{{- s }} {{ n -}} x",
    "{{ n | round }} {% if yes %}y{% endif %} {# note #}",
  ];
  it.each(templates)("renders %j as nunjucks does", (t) => {
    expect(renderTemplate(t, values)).toBe(reference(t, values));
  });

  it("takes the substitution path for text with plain placeholders only", () => {
    expect(templates.map((t) => substitution(t) !== undefined)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(substitution("{{ s }}")!(values)).toBe(values.s);
    expect(substitution("{{ range }}")!({})).toBeUndefined(); // a nunjucks global: nunjucks decides
  });

  it("renders a template after its variables change shape (a missing name goes to nunjucks)", () => {
    const t = "Q: {{ q }} / {{ range }}";
    expect(renderTemplate(t, { q: 1, range: 2 })).toBe("Q: 1 / 2");
    expect(renderTemplate(t, { q: 1 })).toBe(reference(t, { q: 1 }));
  });
});
