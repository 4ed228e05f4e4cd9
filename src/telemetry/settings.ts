import { resolve } from "node:path";

/** Where telemetry goes and what it records, read from DiGiT's environment variables. */
export interface TelemetrySettings {
  /** False when `DGT_TELEMETRY_DISABLE` is 1/true/yes: nothing is created. */
  enabled: boolean;
  /** `$DGT_TELEMETRY_DIR`, default `./telemetry` (relative to the working directory). */
  dir: string;
  /** Keep prompts and completions in `dgt.llm_call` spans (`DGT_TELEMETRY_RECORD_PAYLOADS`). */
  recordPayloads: boolean;
  /** Rotate a file before it would grow past this (`DGT_TELEMETRY_MAX_BYTES`, default 100 MiB). */
  maxBytes: number;
  /** Delete rotated files older than this (`DGT_TELEMETRY_RETENTION_DAYS`, default 14). */
  retentionDays: number;
  /** Keep at most this many rotated files per stream (`DGT_TELEMETRY_MAX_FILES`, default 10). */
  maxFiles: number;
  /**
   * How often each task's `progress.jsonl` gets its counters while a run goes
   * (`DGT_TELEMETRY_PROGRESS_MS`, default 2000).
   */
  progressIntervalMs: number;
}

const TRUE = ["1", "true", "yes"];

/** True for DiGiT's truthy environment values: 1, true, yes (any case). */
export function envFlag(value: string | undefined): boolean {
  return TRUE.includes((value ?? "").trim().toLowerCase());
}

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isFinite(n) && n > 0 ? n : fallback;
}

/**
 * Read telemetry settings from the environment.
 *
 * @example
 * const s = telemetrySettings(process.env, process.cwd());
 * if (s.enabled) console.log(`telemetry in ${s.dir}`);
 */
export function telemetrySettings(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): TelemetrySettings {
  return {
    enabled: !envFlag(env.DGT_TELEMETRY_DISABLE),
    dir: resolve(cwd, env.DGT_TELEMETRY_DIR?.trim() || "telemetry"),
    recordPayloads: envFlag(env.DGT_TELEMETRY_RECORD_PAYLOADS),
    maxBytes: Math.floor(positive(env.DGT_TELEMETRY_MAX_BYTES, 100 * 1024 * 1024)),
    retentionDays: positive(env.DGT_TELEMETRY_RETENTION_DAYS, 14),
    maxFiles: Math.floor(positive(env.DGT_TELEMETRY_MAX_FILES, 10)),
    progressIntervalMs: Math.floor(positive(env.DGT_TELEMETRY_PROGRESS_MS, 2000)),
  };
}
