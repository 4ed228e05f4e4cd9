import { describe, expect, it } from "vitest";
import { renderTemplate } from "./template.js";

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
