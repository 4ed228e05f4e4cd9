import { api, type RecordPage } from "./api.js";
import { cellText, fmt, h } from "./dom.js";
import { showRecord } from "./record-view.js";

const PAGE = 50;

/**
 * A paged, sortable, searchable table of one record file. The server pages, sorts and searches;
 * the page holds one page of records at a time.
 *
 * @example
 * main.append(recordsTable("run/qa/final_data.jsonl"));
 */
export function recordsTable(file: string, initialQuery = ""): HTMLElement {
  let offset = 0;
  let q = initialQuery;
  let sort = "";
  let desc = false;
  let seq = 0;
  const status = h("span", { class: "muted", "data-testid": "page-status" }, "loading…");
  const table = h("table", { class: "records", "data-testid": "records" });
  const prev = h("button", { "data-testid": "prev", onclick: () => go(offset - PAGE) }, "‹ Prev");
  const next = h("button", { "data-testid": "next", onclick: () => go(offset + PAGE) }, "Next ›");
  const search = h("input", { type: "search", placeholder: "search records…", value: q, "data-testid": "search" });
  let timer: number | undefined;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      q = search.value;
      go(0);
    }, 250);
  });

  function render(page: RecordPage): void {
    const cols = page.columns.slice(0, 8);
    const head = h(
      "tr",
      {},
      h("th", { class: "num" }, "#"),
      ...cols.map((c) =>
        h("th", { class: "sortable", "data-col": c, onclick: () => {
          desc = sort === c ? !desc : false;
          sort = c;
          go(0);
        } }, c, sort === c ? (desc ? " ▼" : " ▲") : ""),
      ),
    );
    const rows = page.rows.map((r) => {
      const rec = (r.record ?? {}) as Record<string, unknown>;
      return h("tr", { class: "row", "data-testid": "row", onclick: () => showRecord(document.getElementById("record-view") as HTMLElement, r.record, `${file} · row ${r.index + 1}`, { file, index: r.index }) }, h("td", { class: "num" }, r.index + 1), ...cols.map((c) => h("td", {}, cellText(rec[c]))));
    });
    table.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
    const last = Math.min(page.total, page.offset + page.rows.length);
    status.textContent = page.total === 0 ? "no records" : `rows ${fmt(page.offset + 1)}–${fmt(last)} of ${fmt(page.total)}`;
    prev.disabled = page.offset <= 0;
    next.disabled = last >= page.total;
  }

  async function go(to: number): Promise<void> {
    offset = Math.max(0, to);
    const mine = ++seq;
    status.textContent = "loading…";
    try {
      const page = await api.records(file, offset, PAGE, q, sort, desc);
      if (mine === seq) render(page);
    } catch (e) {
      if (mine === seq) status.textContent = `error: ${(e as Error).message}`;
    }
  }

  void go(0);
  return h("div", { class: "records-box" }, h("div", { class: "toolbar" }, search, prev, next, status), h("div", { class: "table-wrap" }, table));
}
