/**
 * The `digit` command itself: parse the command line, run the command, map errors to exit codes.
 * Loaded by `main.ts` once the compile cache is on.
 */
import { isDigitError } from "../errors.js";
import { ignoreClosedOutput } from "./closed-output.js";
import { printError } from "./print-error.js";
import { buildProgram } from "./program.js";

ignoreClosedOutput(process.stdout);

// Exit codes: 0 ok, 1 a user error or a failed task, 2 bad command line, 3 some task stalled, 130 cancelled.
try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (isDigitError(e)) {
    printError(e.format());
    process.exitCode = e.code === "DIGIT_USAGE" ? 2 : 1;
  } else if ((e as { code?: string }).code?.startsWith("commander.")) {
    // commander has printed its message. `--help` and `--version` end with 0; every other
    // commander error (unknown command or option, missing or invalid value, no command) is usage.
    process.exitCode = (e as { exitCode?: number }).exitCode === 0 ? 0 : 2;
  } else {
    printError(
      `digit: internal error (please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
    );
    process.exitCode = 1;
  }
}
