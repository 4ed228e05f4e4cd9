import { Command } from "commander";
import { completionOrClosest } from "../util/did-you-mean.js";

/**
 * commander's Command with digit's did-you-mean for unknown options and commands: an abbreviation
 * is completed (`--num-outputs` → `--num-outputs-to-generate`), otherwise the closest name by edit
 * distance is suggested (`--seeed` → `--seed`). Subcommands made with `.command()` are DigitCommands too.
 *
 * @example
 * const program = new DigitCommand("digit");
 */
export class DigitCommand extends Command {
  override createCommand(name?: string): Command {
    return new DigitCommand(name);
  }

  /** Called by commander's parser for an option no command of the chain declares. */
  unknownOption(flag: string): void {
    const known: string[] = [];
    // The options of this command and of the commands above it (e.g. --version of the program).
    for (let cmd: Command | null = this; cmd; cmd = cmd.parent) {
      for (const o of cmd.createHelp().visibleOptions(cmd)) if (o.long) known.push(o.long);
    }
    const name = flag.split("=")[0]!;
    const near = name.startsWith("--")
      ? completionOrClosest(
          name.slice(2),
          known.map((k) => k.slice(2)),
        )
      : undefined;
    this.error(`error: unknown option '${flag}'${near ? `\n(did you mean --${near}?)` : ""}`, {
      code: "commander.unknownOption",
    });
  }

  /** Called by commander's parser when the first argument names no command. */
  unknownCommand(): void {
    const name = String(this.args[0]);
    const near = completionOrClosest(
      name,
      this.createHelp()
        .visibleCommands(this)
        .map((c) => c.name()),
    );
    this.error(`error: unknown command '${name}'${near ? `\n(did you mean ${near}?)` : ""}`, {
      code: "commander.unknownCommand",
    });
  }
}
