import type { OptionSpec } from "../option-spec.js";

// Kept apart from studio.ts so that the command table (and `digit --help`) loads no server code.

/** Options of `digit studio`, declared as data like every command's. */
export const STUDIO_OPTIONS: readonly OptionSpec[] = [
  {
    flags: "--port <n>",
    key: "port",
    description: "port on 127.0.0.1 to listen on; 0 picks a free one (default 4180)",
    integer: { min: 0 },
  },
];
