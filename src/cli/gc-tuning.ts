import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

/**
 * How far past its live size digit lets V8's old generation grow before collecting it: 100 %
 * (twice the live heap, as Go's default GOGC=100). V8's own rule lets the heap of a process on a
 * machine with much memory grow up to four times its live size when collecting is cheap, and a
 * generation run allocates fast and keeps little, so its resident memory was mostly garbage
 * waiting (docs/performance.md). The cost is more frequent, small major collections.
 */
export const HEAP_GROWING_PERCENT = 100;

/**
 * The largest semi-space digit lets V8's young generation grow to, in MB: Node 20's and 22's
 * default. V8 13 (Node 24) sizes it by the machine's memory, up to 64 MB a semi-space here, which
 * added about 100 MB of resident memory to a long run for no measurable speed.
 */
export const MAX_SEMI_SPACE_MB = 16;

/**
 * Sets V8's `--heap-growing-percent` for this process unless the user chose one: on the node
 * command line (`node --heap-growing-percent=300 …/digit`), or with
 * `DIGIT_HEAP_GROWING_PERCENT` (`0` leaves V8's own adaptive rule). Returns the value set, or
 * `undefined` when it left V8 alone.
 *
 * @example
 * limitHeapGrowth(); // 100
 * limitHeapGrowth(["--heap-growing-percent=300"], {}); // undefined
 */
export function limitHeapGrowth(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  if (hasFlag("heap-growing-percent", execArgv, env)) return undefined;
  const chosen = env.DIGIT_HEAP_GROWING_PERCENT?.trim();
  const percent = chosen ? Number(chosen) : HEAP_GROWING_PERCENT;
  if (!Number.isInteger(percent) || percent <= 0) return undefined;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}

/**
 * Stops V8's young generation from growing past `MAX_SEMI_SPACE_MB` a semi-space, on V8 13 and
 * later (earlier ones stop there by themselves). Its maximum is fixed when the process starts, so
 * this watches the young generation and, once it reaches that size, sets its growth factor to 1
 * (which V8 reads whenever it grows it). Left alone when the user gave `--max-semi-space-size` or
 * `--semi-space-growth-factor` (on the node command line or in `NODE_OPTIONS`). Returns a
 * function that stops watching, or `undefined` when it does not watch.
 *
 * @example
 * const stop = capYoungGeneration(); // a function on Node 24, undefined on Node 20
 */
export function capYoungGeneration(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
  v8Version: string = process.versions.v8,
): (() => void) | undefined {
  if (Number.parseInt(v8Version, 10) < 13) return undefined;
  if (hasFlag("max-semi-space-size", execArgv, env)) return undefined;
  if (hasFlag("semi-space-growth-factor", execArgv, env)) return undefined;
  const watch = setInterval(() => {
    const young = getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    // The new space holds two semi-spaces.
    if (young && young.space_size >= 2 * MAX_SEMI_SPACE_MB * 2 ** 20) {
      setFlagsFromString("--semi-space-growth-factor=1");
      clearInterval(watch);
    }
  }, 50);
  watch.unref();
  return () => clearInterval(watch);
}

/** Whether V8 flag `name` was given on the node command line or in NODE_OPTIONS (- or _). */
function hasFlag(name: string, execArgv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const flag = new RegExp(`(^|\\s)--${name.replaceAll("-", "[-_]")}\\b`);
  return execArgv.some((a) => flag.test(a)) || flag.test(env.NODE_OPTIONS ?? "");
}
