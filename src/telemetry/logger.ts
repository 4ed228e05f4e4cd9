import { printable, printableJson } from "../util/printable.js";
import { redactSecrets, redactText } from "../util/redact.js";
import { jsonLine } from "./json-line.js";

/** Structured log fields. */
export type LogFields = Record<string, unknown>;

/**
 * The logging interface the engine, builders and blocks use. The CLI supplies one that writes
 * human lines to stderr and JSON records to each task's `logs.jsonl`.
 *
 * @example
 * logger.warn("dropping a partial line", { file: "data.jsonl" });
 */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

/** Severity of a log record. */
export type LogLevel = "debug" | "info" | "warn" | "error";
type Level = LogLevel;
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Receives every record a ConsoleLogger gets, whatever the console level (e.g. task log files). */
export type LogSink = (level: LogLevel, message: string, fields: LogFields) => void;

/**
 * Where a ConsoleLogger prints: `text` lines (`warn: message`) or `json` lines, through `write`
 * (the progress display swaps `write` so that log lines print above its live bars).
 *
 * @example
 * const out: ConsoleOutput = { format: "json", write: (line) => process.stderr.write(line) };
 */
export interface ConsoleOutput {
  format: "text" | "json";
  write(line: string): void;
}

/** stderr, as text. */
export const stderrOutput: ConsoleOutput = {
  format: "text",
  write: (line) => void process.stderr.write(line),
};

/**
 * A logger that writes `LEVEL message` lines to stderr at or above `level`, or nowhere. Secrets in
 * messages and fields are redacted (util/redact) before anything is written, and control
 * characters in text lines are shown escaped (util/printable).
 */
export class ConsoleLogger implements Logger {
  constructor(
    private readonly level: Level | "silent" = (process.env.LOG_LEVEL?.toLowerCase() as Level) ??
      "info",
    private readonly bindings: LogFields = {},
    private readonly sinks: readonly LogSink[] = [],
    private readonly output: ConsoleOutput = stderrOutput,
  ) {}
  private write(level: Level, raw: string, fields: LogFields = {}): void {
    // Every record leaves here with its secrets redacted: the console and every sink (logs.jsonl).
    const message = redactText(raw);
    const all = redactSecrets({ ...this.bindings, ...fields });
    for (const sink of this.sinks) sink(level, message, all);
    if (this.level === "silent" || ORDER[level] < (ORDER[this.level as Level] ?? 20)) return;
    if (this.output.format === "json") {
      this.output.write(
        printableJson(jsonLine({ time: new Date().toISOString(), level, msg: message, ...all })),
      );
      return;
    }
    const tag = level === "info" ? "" : `${level}: `;
    // Text from endpoints and data files may carry terminal escapes: shown, never obeyed.
    this.output.write(`${tag}${printable(message)}\n`);
  }
  debug(m: string, f?: LogFields): void {
    this.write("debug", m, f);
  }
  info(m: string, f?: LogFields): void {
    this.write("info", m, f);
  }
  warn(m: string, f?: LogFields): void {
    this.write("warn", m, f);
  }
  error(m: string, f?: LogFields): void {
    this.write("error", m, f);
  }
  child(bindings: LogFields): Logger {
    return new ConsoleLogger(
      this.level,
      { ...this.bindings, ...bindings },
      this.sinks,
      this.output,
    );
  }
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = new ConsoleLogger("silent");
