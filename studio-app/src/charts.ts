import { api } from "./api.js";
import { fmt, h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

/**
 * A bar chart as inline SVG: one bar per value, labelled underneath when labels are given.
 *
 * @example
 * box.append(bars("latency", [3, 8, 1], ["<100 ms", "<250 ms", "≥250 ms"]));
 */
export function bars(title: string, values: number[], labels: string[] = []): HTMLElement {
  const width = 420;
  const height = 120;
  const max = Math.max(1, ...values);
  const w = width / Math.max(1, values.length);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height + 16}`);
  svg.setAttribute("class", "chart");
  values.forEach((v, i) => {
    const r = document.createElementNS(SVG, "rect");
    const bh = (v / max) * height;
    r.setAttribute("x", String(i * w + 1));
    r.setAttribute("y", String(height - bh));
    r.setAttribute("width", String(Math.max(1, w - 2)));
    r.setAttribute("height", String(bh));
    const tip = document.createElementNS(SVG, "title");
    tip.textContent = `${labels[i] ?? i}: ${fmt(v)}`;
    r.append(tip);
    svg.append(r);
    if (labels[i] && values.length <= 10) {
      const t = document.createElementNS(SVG, "text");
      t.setAttribute("x", String(i * w + w / 2));
      t.setAttribute("y", String(height + 12));
      t.setAttribute("text-anchor", "middle");
      t.textContent = labels[i] ?? "";
      svg.append(t);
    }
  });
  return h("figure", { class: "chart-box", "data-testid": "chart" }, h("figcaption", {}, title), svg);
}

/**
 * A run's LLM requests from telemetry: requests over time and the latency distribution (shown
 * when `traces.jsonl` holds the run's spans).
 *
 * @example
 * overview.append(requestCharts("run-a"));
 */
export function requestCharts(run: string): HTMLElement {
  const box = h("section", { class: "charts" });
  api.requests(run).then(
    ({ stats }) => {
      if (!stats || stats.requests === 0) {
        box.replaceChildren(h("p", { class: "muted small" }, "No request telemetry for this run (traces.jsonl in the telemetry folder, written when the run ends its summary)."));
        return;
      }
      const latencyLabels = stats.latency.map((b, i) => (b.upTo === null ? `≥${(stats.latency[i - 1]?.upTo ?? 0) / 1000}s` : b.upTo < 1000 ? `<${b.upTo}ms` : `<${b.upTo / 1000}s`));
      box.replaceChildren(
        h("h3", {}, `LLM requests of the run: ${fmt(stats.requests)} (${fmt(stats.errors)} failed), tokens ${fmt(stats.promptTokens)} in / ${fmt(stats.completionTokens)} out`),
        h("div", { class: "cols" }, bars(`requests started per ${stats.overTime.bucketSeconds} s`, stats.overTime.counts), bars("latency", stats.latency.map((b) => b.count), latencyLabels)),
      );
    },
    (e: Error) => box.replaceChildren(h("p", { class: "error" }, e.message)),
  );
  return box;
}
