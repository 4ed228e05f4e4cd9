import { setFlagsFromString } from "node:v8";

/**
 * How far past its live size digit lets V8's old generation grow before collecting it: 100 %
 * (twice the live heap, as Go's default GOGC=100). V8's own rule lets the heap of a process on a
 * machine with much memory grow up to four times its live size when collecting is cheap, and a
 * generation run allocates fast and keeps little, so its resident memory was mostly garbage
 * waiting (docs/performance.md). The cost is more frequent, small major collections.
 */
export const HEAP_GROWING_PERCENT = 100;

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
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return undefined;
  const chosen = env.DIGIT_HEAP_GROWING_PERCENT?.trim();
  const percent = chosen ? Number(chosen) : HEAP_GROWING_PERCENT;
  if (!Number.isInteger(percent) || percent <= 0) return undefined;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
