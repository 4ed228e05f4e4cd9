import { api, type ProgressLine, type TaskInfo } from "./api.js";
import { fmt, h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 420;
const HEIGHT = 120;

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function figure(title: string, svg: SVGSVGElement, id?: string): HTMLElement {
  return h("figure", { class: "chart-box", "data-testid": "chart", "data-chart": id }, h("figcaption", {}, title), svg);
}

/**
 * A bar chart as inline SVG: one bar per value, labelled underneath when labels are given.
 *
 * @example
 * box.append(bars("latency", [3, 8, 1], ["<100 ms", "<250 ms", "≥250 ms"]));
 */
export function bars(title: string, values: number[], labels: string[] = [], id?: string): HTMLElement {
  const max = Math.max(1, ...values);
  const w = WIDTH / Math.max(1, values.length);
  const svg = svgEl("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT + 16}`, class: "chart" });
  values.forEach((v, i) => {
    const bh = (v / max) * HEIGHT;
    const r = svgEl("rect", { x: i * w + 1, y: HEIGHT - bh, width: Math.max(1, w - 2), height: bh });
    const tip = svgEl("title", {});
    tip.textContent = `${labels[i] ?? i}: ${fmt(v)}`;
    r.append(tip);
    svg.append(r);
    if (labels[i] && values.length <= 10) {
      const t = svgEl("text", { x: i * w + w / 2, y: HEIGHT + 12, "text-anchor": "middle" });
      t.textContent = labels[i] ?? "";
      svg.append(t);
    }
  });
  return figure(title, svg, id);
}

/** One series of a line chart: its name and a value per point (null: no value there). */
export interface Series {
  name: string;
  values: (number | null)[];
}

/**
 * A line chart as inline SVG over shared x positions (seconds from the first point), one line per
 * series, with its last value and the time span written under it.
 *
 * @example
 * box.append(lines("records", [0, 2, 4], [{ name: "records", values: [0, 5, 9] }]));
 */
export function lines(title: string, seconds: number[], series: Series[], id?: string): HTMLElement {
  const span = Math.max(1e-3, (seconds.at(-1) ?? 0) - (seconds[0] ?? 0));
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const svg = svgEl("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT + 16}`, class: "chart" });
  svg.append(svgEl("line", { x1: 0, y1: HEIGHT, x2: WIDTH, y2: HEIGHT, class: "axis" }));
  series.forEach((s, k) => {
    const pts = s.values
      .map((v, i) => (v === null ? null : `${(((seconds[i] ?? 0) - (seconds[0] ?? 0)) / span) * (WIDTH - 4) + 2},${HEIGHT - (v / max) * (HEIGHT - 4)}`))
      .filter((p): p is string => p !== null);
    const line = svgEl("polyline", { points: pts.join(" "), class: `series s${k}` });
    const tip = svgEl("title", {});
    const last = [...s.values].reverse().find((v) => v !== null);
    tip.textContent = `${s.name}: ${fmt(last)}`;
    line.append(tip);
    svg.append(line);
  });
  // The legend: each series' name and last value in its colour, then the time covered.
  const legend = svgEl("text", { x: 2, y: HEIGHT + 12 });
  series.forEach((s, k) => {
    const last = [...s.values].reverse().find((v) => v !== null);
    const item = svgEl("tspan", { class: `legend s${k}` });
    item.textContent = `${k ? " · " : ""}${s.name} ${fmt(typeof last === "number" ? Math.round(last * 100) / 100 : last)}`;
    legend.append(item);
  });
  const covered = svgEl("tspan", {});
  covered.textContent = ` — over ${fmt(Math.round(span * 10) / 10)} s`;
  legend.append(covered);
  svg.append(legend);
  return figure(title, svg, id);
}

/** The last charts drawn per key, shown again while fresh ones load (so live updates do not flicker). */
const drawn = new Map<string, Node[]>();

function chartsBox(key: string, load: () => Promise<Node[]>): HTMLElement {
  const box = h("section", { class: "charts" }, ...(drawn.get(key)?.map((n) => n.cloneNode(true)) ?? []));
  load().then(
    (nodes) => {
      drawn.set(key, nodes.map((n) => n.cloneNode(true)));
      box.replaceChildren(...nodes);
    },
    (e: Error) => box.replaceChildren(h("p", { class: "error" }, e.message)),
  );
  return box;
}

/**
 * A run's LLM requests from telemetry: requests over time and the latency distribution (shown
 * when `traces.jsonl` holds the run's spans; for a run still going, its spans so far).
 *
 * @example
 * overview.append(requestCharts(task));
 */
export function requestCharts(task: TaskInfo): HTMLElement {
  return chartsBox(`requests ${task.id}`, async () => {
    const { stats } = await api.requests(task.run, task.id);
    if (!stats || stats.requests === 0)
      return [h("p", { class: "muted small" }, "No request telemetry for this run (the dgt.llm_call spans of traces.jsonl in the telemetry folder).")];
    const latencyLabels = stats.latency.map((b, i) => (b.upTo === null ? `≥${(stats.latency[i - 1]?.upTo ?? 0) / 1000}s` : b.upTo < 1000 ? `<${b.upTo}ms` : `<${b.upTo / 1000}s`));
    return [
      h("h3", {}, `LLM requests of the run: ${fmt(stats.requests)} (${fmt(stats.errors)} failed), tokens ${fmt(stats.promptTokens)} in / ${fmt(stats.completionTokens)} out`),
      h("div", { class: "cols" }, bars(`requests started per ${stats.overTime.bucketSeconds} s`, stats.overTime.counts, [], "requests-over-time"), bars("latency", stats.latency.map((b) => b.count), latencyLabels, "latency")),
    ];
  });
}

/** Per-second rate of a counter between consecutive points (null for the first). */
function rate(points: ProgressLine[], seconds: number[], pick: (p: ProgressLine) => number): (number | null)[] {
  return points.map((p, i) => {
    const prev = points[i - 1];
    const dt = (seconds[i] ?? 0) - (seconds[i - 1] ?? 0);
    return prev && dt > 0 ? Math.max(0, (pick(p) - pick(prev)) / dt) : null;
  });
}

/**
 * A task's course from its `progress.jsonl`: records, cost, tokens, requests per second with the
 * requests in flight, and failures, over time (the latest run's lines).
 *
 * @example
 * overview.append(progressCharts(task));
 */
export function progressCharts(task: TaskInfo): HTMLElement {
  return chartsBox(`progress ${task.id}`, async () => {
    const t = await api.timeline(task.id);
    if (t.points.length === 0)
      return [h("p", { class: "muted small" }, "No progress.jsonl for this task (a run writes one in the task's folder while it goes, with telemetry on).")];
    const p = t.points;
    const t0 = Date.parse(p[0]?.time ?? "");
    const seconds = p.map((x) => (Date.parse(x.time) - t0) / 1000);
    const cost = t.latest?.cost_usd === null
      ? h("p", { class: "muted small chart-box" }, "Cost over time: no price for a model of this task (see digit-prices.json).")
      : lines("cost (USD)", seconds, [{ name: "USD", values: p.map((x) => x.cost_usd) }], "cost-over-time");
    return [
      h("h3", {}, `Progress of the run ${t.runId?.slice(0, 8) ?? ""}${t.runs > 1 ? ` (latest of ${t.runs} runs)` : ""}`),
      h(
        "div",
        { class: "cols" },
        lines("records accepted / rejected", seconds, [{ name: "accepted", values: p.map((x) => x.records) }, { name: "rejected", values: p.map((x) => x.rejected) }], "records-over-time"),
        cost,
        lines("tokens in / out", seconds, [{ name: "in", values: p.map((x) => x.prompt_tokens) }, { name: "out", values: p.map((x) => x.completion_tokens) }], "tokens-over-time"),
        lines("requests / s and in flight", seconds, [{ name: "req/s", values: rate(p, seconds, (x) => x.requests) }, { name: "in flight", values: p.map((x) => x.in_flight) }], "rate-over-time"),
        lines("failed requests / failed attempts", seconds, [{ name: "failed", values: p.map((x) => x.failed_requests) }, { name: "attempts", values: p.map((x) => x.failed_attempts) }], "errors-over-time"),
      ),
    ];
  });
}
