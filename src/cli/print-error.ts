import { printable } from "../util/printable.js";
import { redactText } from "../util/redact.js";

/**
 * Print an error paragraph to stderr the way every digit command does: secrets redacted
 * (util/redact) and control characters shown escaped (util/printable), since messages quote
 * endpoint replies, URLs and lines of data files.
 *
 * @example
 * printError(e.format());
 */
export function printError(text: string): void {
  process.stderr.write(`${printable(redactText(text))}\n`);
}
