/** What some code wrote to this process's stdout and stderr while it ran. */
export interface CapturedOutput<T> {
  result: T;
  stdout: string;
  stderr: string;
}

/**
 * Run `fn` with process.stdout and process.stderr writes collected instead of printed, so that
 * in-process CLI runs (their summary tables, expected warnings and errors) keep the test output
 * quiet and can be asserted on. The streams are restored even when `fn` throws.
 *
 * @example
 * const { result: code, stderr } = await captureOutput(() => runCommand([task], { quiet: true }));
 */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<CapturedOutput<T>> {
  const text = { stdout: "", stderr: "" };
  const saved = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const name of ["stdout", "stderr"] as const) {
    process[name].write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      text[name] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      const done = rest.find((r): r is () => void => typeof r === "function");
      done?.();
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    const result = await fn();
    return { result, ...text };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
  }
}
