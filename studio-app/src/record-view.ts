import { api, type PromptCall } from "./api.js";
import { fmt, h } from "./dom.js";

interface Message {
  role?: unknown;
  content?: unknown;
  tool_calls?: unknown;
  tool_call_id?: unknown;
  name?: unknown;
}

/** The field of a record that holds a conversation: a list of `{role, content}` objects. */
function conversationField(record: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(record)) {
    if (Array.isArray(v) && v.length > 0 && v.every((m) => m !== null && typeof m === "object" && "role" in m)) return k;
  }
  return undefined;
}

function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map((p) => (p && typeof p === "object" && "text" in p ? String((p as { text: unknown }).text) : JSON.stringify(p))).join("\n");
  return JSON.stringify(v, null, 2);
}

function prettyArgs(args: unknown): string {
  if (typeof args !== "string") return JSON.stringify(args, null, 2);
  try {
    return JSON.stringify(JSON.parse(args), null, 2);
  } catch {
    return args;
  }
}

function toolCalls(calls: unknown): HTMLElement[] {
  if (!Array.isArray(calls)) return [];
  return calls.map((c) => {
    const call = (c ?? {}) as { id?: unknown; function?: { name?: unknown; arguments?: unknown }; name?: unknown; arguments?: unknown };
    const name = String(call.function?.name ?? call.name ?? "tool");
    return h("div", { class: "tool-call", "data-testid": "tool-call" }, h("div", { class: "tool-name" }, `tool call: ${name}`, call.id ? h("span", { class: "muted" }, ` ${String(call.id)}`) : null), h("pre", {}, prettyArgs(call.function?.arguments ?? call.arguments)));
  });
}

/** A conversation as chat turns: one bubble per message, tool calls and tool results shown as such. */
function chat(messages: Message[]): HTMLElement {
  return h(
    "div",
    { class: "chat", "data-testid": "chat" },
    ...messages.map((m) => {
      const role = String(m.role ?? "?");
      const body = m.content === undefined || m.content === "" || m.content === null ? null : h("div", { class: "content" }, text(m.content));
      const label = role === "tool" ? `tool result${m.tool_call_id ? ` · ${String(m.tool_call_id)}` : ""}` : role;
      return h("div", { class: `turn role-${role}`, "data-testid": "turn" }, h("div", { class: "role" }, label), body, ...toolCalls(m.tool_calls));
    }),
  );
}

/** A recorded prompt as chat turns (a list of messages) or as text. */
function promptInput(input: unknown): HTMLElement {
  if (Array.isArray(input) && input.every((m) => m !== null && typeof m === "object" && "role" in m)) return chat(input as Message[]);
  return h("pre", {}, text(input));
}

function promptCall(call: PromptCall): HTMLElement {
  const meta = [call.model && `${call.provider}/${call.model}`, call.startTime.replace("T", " ").slice(0, 19), call.durationMs !== null && `${fmt(call.durationMs)} ms`, `tokens ${fmt(call.promptTokens)} / ${fmt(call.completionTokens)}`, call.status !== "ok" && call.status, call.truncated && "payload cut to the size limit", `run ${call.runId.slice(0, 8)}`].filter(Boolean).join(" · ");
  return h(
    "div",
    { class: "prompt-call", "data-testid": "prompt-call", "data-span": call.spanId },
    h("div", { class: "meta" }, meta),
    promptInput(call.input),
    h("div", { class: "key" }, "answer"),
    h("pre", { "data-testid": "prompt-answer" }, text(call.completion)),
  );
}

/** The requests telemetry recorded for a record, loaded when the record is opened. */
function prompts(source: { file: string; index: number }): HTMLElement {
  const box = h("section", { class: "prompts", "data-testid": "prompts" }, h("h3", {}, "Prompts"), h("p", { class: "muted small" }, "looking in telemetry…"));
  api.prompts(source.file, source.index).then(
    (found) => {
      const head = h("h3", {}, "Prompts");
      if (!found.telemetry) return void box.replaceChildren(head, h("p", { class: "muted small" }, "No telemetry folder (traces.jsonl) where the studio was started."));
      if (found.payloads === 0) return box.replaceChildren(head, h("p", { class: "muted small" }, "Prompts were not recorded for this task: run with DGT_TELEMETRY_RECORD_PAYLOADS=1 to keep them in traces.jsonl."));
      if (found.produced.length + found.usedIn.length === 0) return box.replaceChildren(head, h("p", { class: "muted small", "data-testid": "no-prompts" }, "No recorded request holds this record's text."));
      const parts: HTMLElement[] = [head];
      if (found.produced.length) parts.push(h("h4", {}, `Made from ${found.produced.length === 1 ? "this answer" : `these ${found.produced.length} answers`}`), ...found.produced.map(promptCall));
      if (found.usedIn.length) parts.push(h("h4", {}, "Shown in the prompts of"), ...found.usedIn.map(promptCall));
      box.replaceChildren(...parts);
    },
    (e: Error) => box.replaceChildren(h("h3", {}, "Prompts"), h("p", { class: "error" }, e.message)),
  );
  return box;
}

/**
 * Show one record: a conversation field as chat turns, every other field as a labelled value
 * with long text wrapped readably; then, given where the record is, the prompts and answers
 * telemetry recorded for it.
 *
 * @example
 * showRecord(document.getElementById("record-view")!, { question: "Why?", answer: "Because." }, "data.jsonl #3");
 */
export function showRecord(box: HTMLElement, record: unknown, title: string, source?: { file: string; index: number }): void {
  const close = () => {
    box.hidden = true;
    box.replaceChildren();
  };
  const fields: HTMLElement[] = [];
  if (record !== null && typeof record === "object" && !Array.isArray(record)) {
    const rec = record as Record<string, unknown>;
    const conv = conversationField(rec);
    if (conv) fields.push(h("section", {}, h("h3", {}, conv), chat(rec[conv] as Message[])));
    for (const [k, v] of Object.entries(rec)) {
      if (k === conv) continue;
      fields.push(h("div", { class: "field" }, h("div", { class: "key" }, k), h("pre", { class: "value" }, typeof v === "string" ? v : JSON.stringify(v, null, 2))));
    }
  } else {
    fields.push(h("pre", {}, JSON.stringify(record, null, 2)));
  }
  box.replaceChildren(
    h("div", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, title), h("button", { onclick: close, "data-testid": "close-record" }, "Close")), ...fields, source ? prompts(source) : null),
  );
  box.hidden = false;
  box.onclick = (e) => {
    if (e.target === box) close();
  };
}
