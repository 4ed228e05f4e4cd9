import { api, type TaskInfo, type TaskProgress } from "./api.js";
import { progressCharts, requestCharts } from "./charts.js";
import { fmt, h } from "./dom.js";
import { recordsTable } from "./records-table.js";

function stat(label: string, value: unknown, id?: string): HTMLElement {
  return h("div", { class: "stat" }, h("div", { class: "stat-value", "data-testid": id }, fmt(value)), h("div", { class: "stat-label" }, label));
}

function dict(v: unknown): Record<string, number> {
  return v !== null && typeof v === "object" ? (v as Record<string, number>) : {};
}

/** Numbers of a task, from its run summary entry, else its task results. */
function numbers(task: TaskInfo): Record<string, unknown> {
  return { ...task.metrics, ...(task.summary ?? {}) };
}

/** The round of a rate, to one decimal. */
const perSecond = (x: number | null | undefined) => (x === null || x === undefined ? undefined : Math.round(x * 10) / 10);

/**
 * The overview of a task: status, counts, rejects by block, failures by kind, tokens, cost; while
 * a run writes the task (live), its requests in flight, request and record rates and failures as
 * they change; then charts of its course and of its run's requests.
 */
export function overview(task: TaskInfo, live?: TaskProgress): HTMLElement {
  const n = numbers(task);
  const l = live?.latest;
  const rejected = dict(n.rejected);
  const failures = dict(n.failures);
  const list = (o: Record<string, number>, empty: string) =>
    Object.keys(o).length ? h("ul", {}, ...Object.entries(o).map(([k, v]) => h("li", {}, h("b", {}, k), `: ${fmt(v)}`))) : h("p", { class: "muted" }, empty);
  // progress.jsonl's last line is the newest word on the counters (a resumed task's summary is
  // the previous run's until this one ends).
  const pick = (fromLine: number | null | undefined, fromFiles: unknown) => (l ? fromLine : fromFiles);
  return h(
    "div",
    { class: "overview", "data-testid": "overview" },
    h(
      "div",
      { class: "stats" },
      stat("status", l?.status ?? task.status, "status"),
      stat(live ? "records in data file" : "records", live?.records ?? n.records, "records"),
      stat("target", pick(l?.target, n.target)),
      stat("requests", pick(l?.requests, n.requests), "requests"),
      stat("failed requests", pick(l?.failed_requests, n.failed_requests), "failed-requests"),
      stat("tokens in / out", `${fmt(pick(l?.prompt_tokens, n.prompt_tokens))} / ${fmt(pick(l?.completion_tokens, n.completion_tokens))}`),
      stat("cost (USD)", pick(l?.cost_usd, n.cost_usd), "cost"),
    ),
    live && (l?.status ?? task.status) === "running"
      ? h(
          "div",
          { class: "stats live-stats", "data-testid": "live-stats" },
          stat("in flight", l?.in_flight, "in-flight"),
          stat("requests / s", perSecond(live.requestRate), "request-rate"),
          stat("records / s", perSecond(live.rate), "rate"),
          stat("failed attempts", l?.failed_attempts, "failed-attempts"),
          stat("updated", l ? new Date(l.time).toLocaleTimeString() : undefined, "updated"),
        )
      : null,
    h("div", { class: "cols" }, h("section", {}, h("h3", {}, "Rejected by block"), list(rejected, "none")), h("section", {}, h("h3", {}, "Failures by kind"), list(failures, "none"))),
    progressCharts(task),
    requestCharts(task),
  );
}

/** Each block's rejects: reasons grouped with counts, and the rejected rows, filterable. */
function rejectsView(task: TaskInfo): HTMLElement {
  const blocks = task.files.filter((f) => f.role === "reject");
  if (blocks.length === 0) return h("p", { class: "muted" }, "No block removed any row.");
  const box = h("div", { class: "rejects", "data-testid": "rejects" });
  for (const f of blocks) {
    const reasons = h("ul", { class: "reasons" }, h("li", { class: "muted" }, "loading…"));
    const rows = h("div", {});
    const section = h("section", { class: "block", "data-block": f.label }, h("h3", {}, `${f.label}`), reasons, rows);
    box.append(section);
    api.rejects(f.path).then(
      (r) => {
        section.querySelector("h3")?.append(h("span", { class: "muted" }, ` — ${fmt(r.total)} rows`));
        reasons.replaceChildren(
          ...r.reasons.map((x) =>
            h("li", { class: "reason", "data-testid": "reason", onclick: () => rows.replaceChildren(recordsTable(f.path, x.reason.split("N")[0]?.trim() ?? "")) }, h("span", { class: "count" }, fmt(x.count)), ` ${x.reason}`),
          ),
        );
      },
      (e: Error) => reasons.replaceChildren(h("li", { class: "error" }, e.message)),
    );
    rows.append(recordsTable(f.path));
  }
  return box;
}

/**
 * A task's page: overview, records (any of its record files) and rejects, as tabs.
 *
 * @example
 * main.replaceChildren(taskView(task, "records"));
 */
export function taskView(task: TaskInfo, tab: string, file: string | undefined, live?: TaskProgress): HTMLElement {
  const go = (t: string, f?: string) => {
    location.hash = `task=${encodeURIComponent(task.id)}&tab=${t}${f ? `&file=${encodeURIComponent(f)}` : ""}`;
  };
  const tabs = h("div", { class: "tabs" }, ...["overview", "records", "rejects"].map((t) => h("button", { class: t === tab ? "tab active" : "tab", "data-testid": `tab-${t}`, onclick: () => go(t) }, t)));
  let body: HTMLElement;
  if (tab === "records") {
    const files = task.files.filter((f) => f.role !== "reject");
    const chosen = file ?? files[0]?.path;
    const select = h("select", { "data-testid": "file-select", onchange: (e: Event) => go("records", (e.target as HTMLSelectElement).value) }, ...task.files.map((f) => h("option", { value: f.path, selected: f.path === chosen }, `${f.role === "reject" ? "rejects: " : ""}${f.label} (${f.path.split("/").pop()})`)));
    body = h("div", {}, h("div", { class: "toolbar" }, "file ", select), chosen ? recordsTable(chosen) : h("p", { class: "muted" }, "No record files yet."));
  } else if (tab === "rejects") body = rejectsView(task);
  else body = overview(task, live);
  return h("div", { class: "task" }, h("h2", {}, task.name, h("span", { class: "muted" }, ` in ${task.run || "."}`)), tabs, body);
}
