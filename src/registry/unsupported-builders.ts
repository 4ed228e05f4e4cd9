import { type ErrorLocation, UnsupportedBuilderError } from "../errors.js";

/** Why a DiGiT builder is not ported, and the docs section that says what to use instead. */
interface UnsupportedBuilder {
  readonly why: string;
  readonly docs: string;
}

/**
 * DiGiT builders digit knows by name but does not provide. A task naming one fails at plan time
 * with the reason, instead of the generic "no data builder named" error. A user builder or plugin
 * registered under the same name still wins: the registry consults this list only on a miss.
 */
const UNSUPPORTED: ReadonlyMap<string, UnsupportedBuilder> = new Map([
  [
    "time_series",
    {
      why:
        "DiGiT's time_series builder fine-tunes a transformer (SDForger) on the series in process " +
        "and samples from the tuned weights through vLLM; training models is out of scope for a " +
        "Node tool",
      docs: "docs/compatibility.md#time-series",
    },
  ],
]);

/**
 * The error for a builder name DiGiT has and digit deliberately does not, or undefined.
 *
 * @example
 * const err = unsupportedBuilderError("time_series", { file: "task.yaml", line: 8 });
 * if (err) throw err;
 */
export function unsupportedBuilderError(
  name: string,
  where: ErrorLocation = {},
): UnsupportedBuilderError | undefined {
  const known = UNSUPPORTED.get(name);
  return known ? new UnsupportedBuilderError(name, known.why, known.docs, where) : undefined;
}
