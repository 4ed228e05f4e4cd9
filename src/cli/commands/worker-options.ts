import { type OptionSpec, toList } from "../option-spec.js";

// Kept apart from worker.ts so that the command table (and `digit --help`) loads no command code.
/** Options of `digit worker` (declared as data, like every command's). */
export const WORKER_OPTIONS: readonly OptionSpec[] = [
  {
    flags: "--concurrency <n>",
    key: "concurrency",
    description: "builder calls (units) this worker runs at once (default 1)",
    integer: { min: 1 },
  },
  {
    flags: "--include-namespaces <names...>",
    key: "includeNamespaces",
    description: "namespaces to enable besides those the coordinator sends (e.g. public)",
    parse: toList,
  },
  {
    flags: "--plugin-dir <dir>",
    key: "pluginDir",
    description:
      "plugin folder on this machine (default: the coordinator's, when the path exists here); repeatable",
    parse: toList,
  },
  {
    flags: "--include-builder-paths <paths...>",
    key: "includeBuilderPaths",
    description: "extra builder YAML files or folders on this machine",
  },
  {
    flags: "--no-cluster-limits",
    key: "clusterLimits",
    description:
      "limit LLM concurrency per credential in this process only, not across the cluster",
  },
  {
    flags: "--lock-duration <ms>",
    key: "lockDuration",
    description:
      "a unit whose worker stops renewing its lock for this long runs again elsewhere (default 30000)",
    integer: { min: 1 },
  },
  {
    flags: "--stalled-interval <ms>",
    key: "stalledInterval",
    description: "how often to look for units of dead workers (default 15000)",
    integer: { min: 1 },
  },
  {
    flags: "--slot-lease <ms>",
    key: "slotLease",
    description:
      "a cluster-wide LLM slot held by a dead worker is freed after this long (default 10000)",
    integer: { min: 1 },
  },
  { flags: "--quiet", key: "quiet", description: "print only warnings and errors" },
  { flags: "--debug", key: "debug", description: "print a line per unit" },
];
