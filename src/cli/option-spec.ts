import { Option, type Command } from "commander";

/**
 * A CLI option declared as data: used to build the parser, `--help`, and the CLI reference in docs.
 *
 * @example
 * { flags: "--seed <n>", key: "seed", description: "seed for every random choice", parse: toInt }
 */
export interface OptionSpec {
  flags: string;
  /** Property of the parsed options object. */
  key: string;
  description: string;
  parse?: (value: string, previous: unknown) => unknown;
  defaultValue?: unknown;
  /** DiGiT group: "task" options go to runner_config, "builder" to builder constructors. */
  group?: "base" | "task" | "builder";
  hidden?: boolean;
}

/** Add declared options to a commander command. */
export function addOptions(cmd: Command, specs: readonly OptionSpec[]): Command {
  for (const s of specs) {
    const o = new Option(s.flags, s.description);
    if (s.parse) o.argParser(s.parse as (v: string, p: unknown) => unknown);
    if (s.defaultValue !== undefined) o.default(s.defaultValue);
    if (s.hidden) o.hideHelp();
    o.attributeName = () => s.key;
    cmd.addOption(o);
  }
  return cmd;
}

/** Parse a non-negative integer option. */
export function toInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`expected a whole number, got '${value}'`);
  return n;
}

/** Collect a repeatable option into a list; commas split too (`--x a,b --x c`). */
export function toList(value: string, previous: unknown): string[] {
  const prev = Array.isArray(previous) ? (previous as string[]) : [];
  return [...prev, ...value.split(",").map((v) => v.trim()).filter(Boolean)];
}

/** A parsed option as a list of strings (a single string becomes a one-item list). */
export const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : []);
/** A parsed option as a string, if it is one. */
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** A parsed option as a number, if it is one. */
export const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
