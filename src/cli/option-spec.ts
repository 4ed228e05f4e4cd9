import { type Command, InvalidArgumentError, Option } from "commander";

/**
 * A CLI option declared as data: used to build the parser, `--help`, and the CLI reference in docs.
 *
 * @example
 * { flags: "--seed <n>", key: "seed", description: "seed for every random choice", integer: { min: 0 } }
 */
export interface OptionSpec {
  flags: string;
  /** Property of the parsed options object. */
  key: string;
  description: string;
  parse?: (value: string, previous: unknown) => unknown;
  /**
   * A whole-number option and the least value it allows. The parser refuses anything else as a
   * usage error naming the option, the value and this range; `--help` and docs/cli.md show it.
   */
  integer?: { min: number } | undefined;
  /** The only values a string option allows (a usage error otherwise). */
  choices?: readonly string[] | undefined;
  defaultValue?: unknown;
  /** DiGiT group: "task" options go to runner_config, "builder" to builder constructors. */
  group?: "base" | "task" | "builder";
  hidden?: boolean;
}

/** Add declared options to a commander command. */
export function addOptions(cmd: Command, specs: readonly OptionSpec[]): Command {
  for (const s of specs) {
    const o = new Option(
      s.flags,
      s.integer ? `${s.description} (${integerRange(s.integer.min)})` : s.description,
    );
    if (s.parse) o.argParser(s.parse as (v: string, p: unknown) => unknown);
    if (s.integer) o.argParser(wholeNumber(s.integer.min));
    if (s.choices) o.choices(s.choices);
    if (s.defaultValue !== undefined) o.default(s.defaultValue);
    if (s.hidden) o.hideHelp();
    o.attributeName = () => s.key;
    cmd.addOption(o);
  }
  return cmd;
}

/**
 * What a whole-number option allows, in words.
 *
 * @example
 * integerRange(1) // "a whole number, 1 or more"
 */
export function integerRange(min: number): string {
  return `a whole number, ${min} or more`;
}

/**
 * The parser of a whole-number option: plain decimal digits (no sign, exponent, fraction or hex),
 * at least `min` and at most 2^53 - 1. Anything else is commander's usage error, printed as
 * "option '--x <n>' argument 'abc' is invalid. expected a whole number, 1 or more" (exit code 2).
 *
 * @example
 * wholeNumber(1)("12") // 12
 */
export function wholeNumber(min: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`expected ${integerRange(min)}`);
    return n;
  };
}

/** Collect a repeatable option into a list; commas split too (`--x a,b --x c`). */
export function toList(value: string, previous: unknown): string[] {
  const prev = Array.isArray(previous) ? (previous as string[]) : [];
  return [
    ...prev,
    ...value
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean),
  ];
}

/** A parsed option as a list of strings (a single string becomes a one-item list). */
export const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : [];
/** A parsed option as a string, if it is one. */
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** A parsed option as a number, if it is one. */
export const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
