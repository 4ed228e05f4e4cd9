/**
 * A reader that stops early (`digit list blocks --json | head -1`) closes our stdout; later
 * writes fail with EPIPE. That is not an error of the command: the output is ignored from then on
 * and the command ends with its own status, quietly, instead of an unhandled 'error' event.
 *
 * @example
 * ignoreClosedOutput(process.stdout);
 */
export function ignoreClosedOutput(stream: NodeJS.WriteStream): void {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });
}
