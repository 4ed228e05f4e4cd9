import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PACKAGE_ROOT } from "../registry/package-root.js";
import { COMMANDS } from "./commands/specs.js";
import { integerRange, type OptionSpec } from "./option-spec.js";

const GROUPS: Record<NonNullable<OptionSpec["group"]>, string> = {
  base: "",
  task: "task option (applies to every task where it makes sense)",
  builder: "builder option",
};

/**
 * The CLI reference (docs/cli.md), generated from the command table and option declarations —
 * the same data the parser and `--help` are built from, so the three cannot disagree.
 *
 * @example
 * writeFileSync("docs/cli.md", cliReference());
 */
export function cliReference(): string {
  const out: string[] = [
    "# CLI reference",
    "",
    "<!-- Generated from src/cli/commands/specs.ts and the option declarations by `npx tsx src/cli/docs.ts`; do not edit by hand (test/docs/cli-docs.test.ts checks it). -->",
    "",
    "`digit <command> [arguments] [options]`. `digit --help` and `digit <command> --help` print the same information.",
    "",
    "Exit codes: 0 success; 1 a configuration error, a failed task or invalid input (`validate`); 2 a bad command line (an unknown command or option, a missing or invalid option value); 3 a task stalled or ran out of attempts; 130 cancelled (Ctrl-C).",
    "",
    "| command | what it does |",
    "|---|---|",
    ...COMMANDS.map((c) => `| [\`${c.name}\`](#digit-${c.name}) | ${c.description} |`),
    "",
  ];
  for (const c of COMMANDS) {
    const args = c.args.map((a) => ` ${a.spec}`).join("");
    out.push(
      `## digit ${c.name}`,
      "",
      `${c.description.charAt(0).toUpperCase() + c.description.slice(1)}.`,
      "",
      "```",
      `digit ${c.name}${args} [options]`,
      "```",
      "",
    );
    if (c.args.length) {
      out.push(
        "| argument | meaning |",
        "|---|---|",
        ...c.args.map((a) => `| \`${a.spec}\` | ${a.description} |`),
        "",
      );
    }
    const visible = c.options.filter((o) => !o.hidden);
    if (visible.length) {
      out.push("| option | meaning |", "|---|---|");
      for (const o of visible) {
        const extra = [
          o.integer ? integerRange(o.integer.min) : "",
          o.choices ? `one of ${o.choices.map((c) => `\`${c}\``).join(", ")}` : "",
          o.defaultValue !== undefined ? `default \`${String(o.defaultValue)}\`` : "",
          o.group && GROUPS[o.group] ? GROUPS[o.group] : "",
        ]
          .filter(Boolean)
          .join("; ");
        out.push(`| \`${o.flags}\` | ${o.description}${extra ? ` (${extra})` : ""} |`);
      }
      out.push("");
    }
    const hidden = c.options.filter((o) => o.hidden);
    if (hidden.length)
      out.push(
        `Also accepted for DiGiT compatibility: ${hidden.map((o) => `\`${o.flags.split(" ")[0]}\` (${o.description})`).join(", ")}.`,
        "",
      );
    if (c.examples.length) out.push("Examples:", "", "```sh", ...c.examples, "```", "");
  }
  out.push(
    "## Environment",
    "",
    "| variable | meaning |",
    "|---|---|",
    "| `DGT_OUTPUT_DIR` | default output folder (`output`) |",
    "| `DGT_DATA_DIR` | root of input data, used as `${DGT_DATA_DIR}` in YAML (`data`) |",
    "| `DGT_TELEMETRY_DIR` | folder of `events.jsonl` and `traces.jsonl` (`telemetry`) |",
    "| `DGT_TELEMETRY_DISABLE` | `1`/`true`/`yes`: write no telemetry |",
    "| `DGT_TELEMETRY_RECORD_PAYLOADS` | `1`/`true`/`yes`: keep prompts and completions in LLM call spans |",
    "| `DGT_TELEMETRY_MAX_BYTES`, `DGT_TELEMETRY_MAX_FILES`, `DGT_TELEMETRY_RETENTION_DAYS` | rotation of telemetry files (100 MiB, 10 files, 14 days) |",
    "| `DGT_PROGRESS_INTERVAL_MS` | how often plain progress lines are printed without a terminal (5000) |",
    "| `DGT_PRICES_FILE` | extra price table for cost estimates (see [telemetry](telemetry.md#cost-estimates)) |",
    "| `LOG_LEVEL` | `debug`, `info` (default), `warn` or `error` |",
    "| `DIGIT_HEAP_GROWING_PERCENT` | how far V8's old generation may grow past its live size before a full collection (`100`: twice; `0`: V8's own rule; read at start-up, before `.env`); see [architecture](architecture.md#memory-at-scale) |",
    "| `NODE_OPTIONS=--max-semi-space-size=N` | V8's young generation size in MB; without it digit caps it at 16 on Node 24 |",
    "",
    "A `.env` file in the working directory is loaded first; variables already set win.",
    "",
  );
  return out.join("\n");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = join(PACKAGE_ROOT, "docs", "cli.md");
  writeFileSync(file, cliReference());
  process.stdout.write(`wrote ${file}\n`);
}
