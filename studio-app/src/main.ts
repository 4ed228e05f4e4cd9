import "./style.css";
import { api, type RunInfo, type TaskInfo, type TaskProgress } from "./api.js";
import { compareView } from "./compare-view.js";
import { fmt, h } from "./dom.js";
import { taskView } from "./task-view.js";

let runs: RunInfo[] = [];
const live = new Map<string, TaskProgress>();
const sidebar = document.getElementById("sidebar") as HTMLElement;
const main = document.getElementById("main") as HTMLElement;

const allTasks = (): TaskInfo[] => runs.flatMap((r) => r.tasks);
const route = (): URLSearchParams => new URLSearchParams(location.hash.slice(1));

function renderSidebar(): void {
  const current = route().get("task");
  sidebar.replaceChildren(
    h("a", { href: "#compare", class: "nav-compare", "data-testid": "nav-compare" }, "Compare runs"),
    ...runs.map((r) =>
      h(
        "div",
        { class: "run" },
        h("div", { class: "run-name" }, r.id || ".", r.summary?.started_at ? h("span", { class: "muted small" }, ` ${String(r.summary.started_at).slice(0, 16).replace("T", " ")}`) : null),
        ...r.tasks.map((t) => {
          const p = live.get(t.id);
          const task = p?.task ?? t;
          const records = p?.records ?? (task.summary?.records as number | undefined) ?? (task.metrics.records as number | undefined);
          return h(
            "a",
            { href: `#task=${encodeURIComponent(t.id)}&tab=overview`, class: t.id === current ? "task-link active" : "task-link", "data-testid": "task-link", "data-task": t.id },
            h("span", { class: `badge ${task.status}` }, task.status),
            ` ${t.name} `,
            h("span", { class: "muted small" }, `${fmt(records)} rec`),
          );
        }),
      ),
    ),
  );
}

function renderMain(): void {
  const r = route();
  if (r.has("compare")) {
    main.replaceChildren(compareView(allTasks(), r.get("a") || undefined, r.get("b") || undefined));
    return;
  }
  const id = r.get("task");
  const task = allTasks().find((t) => t.id === id);
  if (!task) {
    main.replaceChildren(h("p", { class: "muted" }, allTasks().length ? "Pick a task on the left." : "No tasks in this output folder yet."));
    return;
  }
  const p = live.get(task.id);
  main.replaceChildren(taskView(p?.task ?? task, r.get("tab") ?? "overview", r.get("file") ?? undefined, p));
}

function followLive(): void {
  const badge = document.getElementById("live") as HTMLElement;
  const events = new EventSource("api/events");
  events.onopen = () => (badge.textContent = "live");
  events.onerror = () => (badge.textContent = "reconnecting…");
  events.addEventListener("task", (e) => {
    const p = JSON.parse((e as MessageEvent<string>).data) as TaskProgress;
    const known = allTasks().some((t) => t.id === p.task.id);
    live.set(p.task.id, p);
    if (!known) void load();
    renderSidebar();
    // Refresh the overview of the task on screen (the records table keeps its page).
    const r = route();
    if (r.get("task") === p.task.id && (r.get("tab") ?? "overview") === "overview") renderMain();
  });
}

async function load(): Promise<void> {
  const data = await api.runs();
  runs = data.runs;
  (document.getElementById("root-path") as HTMLElement).textContent = data.root;
  renderSidebar();
  renderMain();
}

window.addEventListener("hashchange", () => {
  renderSidebar();
  renderMain();
});
void load().then(followLive, (e: Error) => main.replaceChildren(h("p", { class: "error" }, e.message)));
