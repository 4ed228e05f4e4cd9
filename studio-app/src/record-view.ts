import { h } from "./dom.js";

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

/**
 * Show one record: a conversation field as chat turns, every other field as a labelled value
 * with long text wrapped readably.
 *
 * @example
 * showRecord(document.getElementById("record-view")!, { question: "Why?", answer: "Because." }, "data.jsonl #3");
 */
export function showRecord(box: HTMLElement, record: unknown, title: string): void {
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
    h("div", { class: "panel" }, h("div", { class: "panel-head" }, h("h2", {}, title), h("button", { onclick: close, "data-testid": "close-record" }, "Close")), ...fields),
  );
  box.hidden = false;
  box.onclick = (e) => {
    if (e.target === box) close();
  };
}
