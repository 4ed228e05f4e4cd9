import { describe, expect, expectTypeOf, it } from "vitest";
import { parseYaml } from "../config/yaml.js";
import { ConfigError } from "../errors.js";
import type { Row } from "../util/mapping.js";
import { ConversationMessagesFormatter, stepsToMessages } from "./conversation/messages/index.js";
import { NativeFormatter } from "./native/index.js";
import { pythonRepr, pythonStr } from "./python/repr.js";
import { SafetyRefusalFormatter } from "./safety/refusal/index.js";
import { TemplateFormatter } from "./template/index.js";

describe("pythonStr", () => {
  it("writes values the way Python's str() does", () => {
    expect(pythonStr("plain")).toBe("plain");
    expect(pythonStr(null)).toBe("None");
    expect(pythonStr(true)).toBe("True");
    expect(pythonStr(3)).toBe("3");
    expect(pythonStr({ a: 1, b: [null, "x"] })).toBe("{'a': 1, 'b': [None, 'x']}");
    expect(pythonRepr("it's")).toBe(`"it's"`);
    expect(pythonRepr(`both ' and "`)).toBe(`'both \\' and "'`);
    expect(pythonRepr("line\nbreak")).toBe("'line\\nbreak'");
  });
});

describe("formatters/native", () => {
  it("fills {{field}} in every value of a mapping", () => {
    const f = new NativeFormatter({
      format: { input: "Q: {{question}}", output: "{{answer}} ({{is_seed}})" },
    });
    expect(f.apply({ question: "Why?", answer: "Because", is_seed: false })).toEqual({
      input: "Q: Why?",
      output: "Because (False)",
    });
  });
  it("fills a string format and leaves unknown or spaced placeholders as they are", () => {
    const f = new NativeFormatter({ format: "{{question}} {{missing}} {{ question }}" });
    expect(f.apply({ question: "Q" })).toBe("Q {{missing}} {{ question }}");
  });
  it("rejects nested mappings with a config error", () => {
    expect(() => new NativeFormatter({ format: { a: { b: "{{x}}" } } })).toThrow(/format/);
    expect(() => new NativeFormatter({})).toThrow(/format/);
  });
});

describe("formatters/template", () => {
  it("renders Jinja-style templates with filters and loops", () => {
    const f = new TemplateFormatter({
      format: { text: "{{ question | upper }}{% for t in tags %} #{{ t }}{% endfor %}" },
    });
    expect(f.apply({ question: "hi", tags: ["a", "b"] })).toEqual({ text: "HI #a #b" });
    expect(new TemplateFormatter({ format: "{{ a }}-{{ b }}" }).apply({ a: 1, b: "x" })).toBe(
      "1-x",
    );
  });
});

describe("formatters/conversation/messages", () => {
  const steps = [
    { role: "scenario", content: "Two friends talk about tea.", stage_name: "lm/scenario" },
    { role: "persona", content: "Role: student", stage_name: "sample/persona" },
    { role: "flow_controller", content: "chit_chat/new_topic", terminate: false },
    { role: "user", content: "Hi there" },
    { role: "assistant", content: "Hello!" },
    { role: "tool_call", content: { id: "c1", name: "lookup", arguments: { q: "tea" } } },
    { role: "tool_result", content: { call_id: "c1", result: { hits: 2 } } },
    { role: "tool_result", content: { call_id: "c2", result: "plain text" } },
    { role: "assistant", content: "Found two." },
  ];
  it("keeps user/assistant/tool messages in order and drops the rest", () => {
    const out = new ConversationMessagesFormatter().apply({ conversation_id: "abc", steps });
    expect(out.conversation_id).toBe("abc");
    expect(out.messages).toEqual([
      { role: "user", content: "Hi there" },
      { role: "assistant", content: "Hello!" },
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "c1", type: "function", function: { name: "lookup", arguments: '{"q":"tea"}' } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: '{"hits":2}' },
      { role: "tool", tool_call_id: "c2", content: "plain text" },
      { role: "assistant", content: "Found two." },
    ]);
  });
  it("gives an empty list for a record without steps", () => {
    expect(stepsToMessages([])).toEqual([]);
    expect(new ConversationMessagesFormatter().apply({ conversation_id: "x" }).messages).toEqual(
      [],
    );
  });
});

describe("formatters/safety/refusal", () => {
  it("keeps instruction, response and policy metadata, without internal keys", () => {
    const out = new SafetyRefusalFormatter().apply({
      task_name: "t",
      is_seed: false,
      instruction: "Do a bad thing",
      response: "I can't help with that.",
      source: "machine",
      metadata: { risk: "spam", policy_version: "v0.1", mode: "refusal", source: "machine" },
    });
    expect(out).toEqual({
      instruction: "Do a bad thing",
      response: "I can't help with that.",
      metadata: { risk: "spam", policy_version: "v0.1" },
    });
  });
});

describe("formatter configs", () => {
  it("are parsed by the type's schema into a typed config; undeclared keys are dropped", () => {
    const f = new NativeFormatter({ type: "formatters/native", format: "{{q}}", extra: 1 });
    expectTypeOf(f.config.format).toEqualTypeOf<string | Record<string, string>>();
    expect(f.config).toEqual({ type: "formatters/native", format: "{{q}}" });
  });

  it("report a bad option with the task file and line it was written on", () => {
    const task = parseYaml(
      "formatter:\n  type: formatters/template\n  format: [a, b]\n",
      "task.yaml",
    ) as Row;
    const error = (() => {
      try {
        new TemplateFormatter(task.formatter as Row, { file: "task.yaml" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ file: "task.yaml", line: 3 });
    expect((error as Error).message).toMatch(/formatters\/template.*format/);
  });
});
