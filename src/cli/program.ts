import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { PACKAGE_ROOT } from "../registry/package-root.js";
import { printable } from "../util/printable.js";
import { COMMANDS } from "./commands/specs.js";
import { DigitCommand } from "./digit-command.js";
import { addOptions } from "./option-spec.js";

/**
 * The `digit` command line, built from the command table in `commands/specs.ts`. Command modules
 * are imported only when their command runs, so `digit --help` stays fast.
 *
 * @example
 * await buildProgram().parseAsync(["node", "digit", "run", "tasks/qa/task.yaml"]);
 */
export function buildProgram(): Command {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
    version: string;
  };
  const program = new DigitCommand("digit")
    .description("Synthetic data generation and transformation with LLMs (a port of IBM DiGiT)")
    .version(pkg.version)
    .exitOverride()
    // commander's usage errors quote the command line, which may come from a script fed with data.
    .configureOutput({ outputError: (text, write) => write(printable(text)) })
    .showHelpAfterError("(run 'digit --help' or 'digit <command> --help' for usage)");

  for (const spec of COMMANDS) {
    const cmd = program.command(spec.name).description(spec.description).exitOverride();
    for (const a of spec.args) cmd.argument(a.spec, a.description);
    if (spec.examples.length)
      cmd.addHelpText("after", `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join("\n")}\n`);
    addOptions(cmd, spec.options).action(async (...params: unknown[]) => {
      // commander passes the positional arguments, then the options object, then the command.
      const args = params.slice(0, spec.args.length);
      const opts = params[spec.args.length] as Record<string, unknown>;
      process.exitCode = await spec.action(args, opts);
    });
  }
  return program;
}
