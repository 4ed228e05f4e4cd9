import { api, type CompareSide, type TaskInfo } from "./api.js";
import { fmt, h } from "./dom.js";

function rate(side: CompareSide, block: string): string {
  const r = side.rejects[block] ?? 0;
  const all = side.records + Object.values(side.rejects).reduce((a, b) => a + b, 0);
  return all ? `${fmt(r)} (${((100 * r) / all).toFixed(1)}%)` : "–";
}

function table(a: CompareSide, b: CompareSide): HTMLElement {
  const blocks = [...new Set([...Object.keys(a.rejects), ...Object.keys(b.rejects)])].sort();
  const fields = [...new Set([...a.fields.map((f) => f.field), ...b.fields.map((f) => f.field)])];
  const fieldCell = (s: CompareSide, name: string) => {
    const f = s.fields.find((x) => x.field === name);
    if (!f) return h("td", { class: "muted" }, "absent");
    const parts = [`${fmt(f.present)} present`];
    if (f.meanLength !== undefined) parts.push(`mean length ${fmt(Math.round(f.meanLength))}`);
    if (f.mean !== undefined) parts.push(`mean ${fmt(Math.round(f.mean * 100) / 100)}`);
    const top = f.top.slice(0, 3).map((t) => `${t.value.slice(0, 30)} ×${fmt(t.count)}`).join(", ");
    return h("td", {}, parts.join(" · "), h("div", { class: "muted small" }, top));
  };
  return h(
    "table",
    { class: "compare", "data-testid": "compare-table" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, `${a.task.run || "."} / ${a.task.name}`), h("th", {}, `${b.task.run || "."} / ${b.task.name}`))),
    h(
      "tbody",
      {},
      h("tr", { "data-testid": "compare-records" }, h("th", {}, "records"), h("td", {}, fmt(a.records)), h("td", {}, fmt(b.records))),
      h("tr", {}, h("th", {}, "status"), h("td", {}, a.task.status), h("td", {}, b.task.status)),
      ...blocks.map((k) => h("tr", {}, h("th", {}, `rejected by ${k}`), h("td", {}, rate(a, k)), h("td", {}, rate(b, k)))),
      h("tr", {}, h("th", { colspan: 3, class: "section" }, `fields (first ${fmt(Math.max(a.sampled, b.sampled))} records)`)),
      ...fields.map((f) => h("tr", {}, h("th", {}, f), fieldCell(a, f), fieldCell(b, f))),
    ),
  );
}

/**
 * Two tasks side by side (two runs of one task, usually): counts, rejection rates by block,
 * field distributions.
 *
 * @example
 * main.replaceChildren(compareView(allTasks, "run-a/qa", "run-b/qa"));
 */
export function compareView(tasks: TaskInfo[], a: string | undefined, b: string | undefined): HTMLElement {
  const pick = (which: "a" | "b", chosen: string | undefined) =>
    h("select", { "data-testid": `compare-${which}`, onchange: (e: Event) => {
      const v = (e.target as HTMLSelectElement).value;
      const other = which === "a" ? b : a;
      location.hash = which === "a" ? `compare&a=${encodeURIComponent(v)}&b=${encodeURIComponent(other ?? "")}` : `compare&a=${encodeURIComponent(other ?? "")}&b=${encodeURIComponent(v)}`;
    } }, h("option", { value: "" }, "choose a task…"), ...tasks.map((t) => h("option", { value: t.id, selected: t.id === chosen }, t.id)));
  const out = h("div", { class: "compare-out" });
  if (a && b) {
    out.append(h("p", { class: "muted" }, "loading…"));
    api.compare(a, b).then((r) => out.replaceChildren(table(r.a, r.b)), (e: Error) => out.replaceChildren(h("p", { class: "error" }, e.message)));
  }
  return h("div", { class: "compare-view" }, h("h2", {}, "Compare two runs"), h("div", { class: "toolbar" }, pick("a", a), " vs ", pick("b", b)), out);
}
