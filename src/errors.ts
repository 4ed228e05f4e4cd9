/**
 * Errors digit reports to users. Every error has a stable `code` so scripts and tests can match
 * on it, a message that says what is wrong, and where possible the file, line and a fix.
 *
 * A `DigitError` is a user-facing failure: the CLI prints it as one short paragraph without a
 * stack trace. Anything else that escapes is a bug in digit and is printed with its stack.
 *
 * @example
 * throw new ConfigError("unknown key 'seed_example'", {
 *   file: "tasks/qa/task.yaml", line: 7, hint: "did you mean 'seed_examples'?",
 * });
 */
export class DigitError extends Error {
  readonly code: string;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly hint: string | undefined;

  constructor(code: string, message: string, where: ErrorLocation = {}) {
    super(message, where.cause === undefined ? undefined : { cause: where.cause });
    this.name = new.target.name;
    this.code = code;
    this.file = where.file;
    this.line = where.line;
    this.hint = where.hint;
  }

  /** The one-paragraph form the CLI prints. */
  format(): string {
    const at = this.file ? ` (${this.file}${this.line ? `:${this.line}` : ""})` : "";
    const fix = this.hint ? `\n  fix: ${this.hint}` : "";
    return `digit: ${this.message}${at}${fix}\n  [${this.code}]`;
  }
}

/**
 * Where an error happened and how to fix it.
 *
 * @example
 * const where: ErrorLocation = { file: "tasks/qa/task.yaml", line: 7, hint: "use a number" };
 * throw new ConfigError("'max_chars' must be a number", where);
 */
export interface ErrorLocation {
  file?: string | undefined;
  line?: number | undefined;
  hint?: string | undefined;
  cause?: unknown;
}

/**
 * A task, builder, block or override file is invalid (schema, unknown key, bad value).
 *
 * @example
 * throw new ConfigError("'min_chars' must not exceed 'max_chars'", { hint: "lower min_chars" });
 */
export class ConfigError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_CONFIG_INVALID", message, where);
  }
}

/** A YAML file does not parse. */
export class YamlSyntaxError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_YAML_SYNTAX", message, where);
  }
}

/** `${VAR}` names a variable that is not set. */
export class UnsetVariableError extends DigitError {
  constructor(variable: string, where: ErrorLocation = {}) {
    super("DIGIT_ENV_UNSET", `environment variable '${variable}' is not set`, {
      hint: `set ${variable} in the environment or in ./.env, or write the value literally`,
      ...where,
    });
  }
}

/**
 * A file or folder the configuration points at does not exist.
 *
 * @example
 * if (!existsSync(path)) throw new MissingFileError(path, "policy file", { file: taskFile });
 */
export class MissingFileError extends DigitError {
  constructor(path: string, what: string, where: ErrorLocation = {}) {
    super("DIGIT_FILE_NOT_FOUND", `${what} '${path}' does not exist`, where);
  }
}

/** The kinds of things the registry knows. */
export type RegistryKind =
  | "databuilder"
  | "block"
  | "datastore"
  | "dataloader"
  | "formatter"
  | "tool_loader"
  | "tool_engine"
  | "tool_enrichment"
  | "tool_sampler";

/** A builder, block, datastore, dataloader or formatter name that nothing registers. */
export class UnknownNameError extends DigitError {
  readonly kind: RegistryKind;
  readonly requested: string;
  constructor(kind: RegistryKind, requested: string, message: string, where: ErrorLocation = {}) {
    super(`DIGIT_UNKNOWN_${kind.toUpperCase()}`, message, where);
    this.kind = kind;
    this.requested = requested;
  }
}

/** A plugin or builder module threw while being imported. */
export class PluginLoadError extends DigitError {
  constructor(file: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super("DIGIT_PLUGIN_LOAD", `could not load '${file}': ${why}`, {
      file,
      hint: "fix the error in that file, or move it out of the plugin folder",
      cause,
    });
  }
}

/** Two registrations claim one name. */
export class DuplicateNameError extends DigitError {
  constructor(kind: RegistryKind, name: string, first: string, second: string) {
    super(
      "DIGIT_DUPLICATE_NAME",
      `${kind} '${name}' is registered twice: by ${first} and by ${second}`,
      {
        hint: "rename one of them",
      },
    );
  }
}

/** Another live digit process holds the task's output folder. */
export class OutputLockedError extends DigitError {
  /**
   * @param holder where the lock is (`file`) and what it says about its holder: the host it runs
   *   on and since when it holds the folder (ISO time), when the lock file records them
   */
  constructor(
    dir: string,
    pid: number,
    holder: {
      file?: string | undefined;
      host?: string | undefined;
      since?: string | undefined;
    } = {},
  ) {
    const who = [
      `pid ${pid}`,
      holder.host ? `on host '${holder.host}'` : "",
      holder.since ? `since ${holder.since}` : "",
    ]
      .filter(Boolean)
      .join(" ");
    const lock = holder.file ? `'${holder.file}'` : `'.digit.lock' in '${dir}'`;
    super(
      "DIGIT_OUTPUT_LOCKED",
      `output folder '${dir}' is in use by a running digit process (${who}); lock file ${lock}`,
      {
        hint: `wait for that run to finish, stop it, or use another --output-dir; if no digit run is using the folder (that process is something else, or it ran on another machine that is gone), delete the lock file: rm ${lock}`,
      },
    );
  }
}

/** A builder returned a record whose `task_name` is not one of the builder's tasks. */
export class RoutingError extends DigitError {
  constructor(builder: string, taskName: unknown, known: readonly string[]) {
    super(
      "DIGIT_UNROUTABLE_RECORD",
      `builder '${builder}' returned a record for task ${JSON.stringify(taskName)}, which is not one of its tasks (${known.join(", ")})`,
      { hint: "set task_name on every output record to the task of the input it came from" },
    );
  }
}

/** An LLM request failed for good (after retries, or at once for a non-retryable status). */
export class LMRequestError extends DigitError {
  readonly kind: string;
  readonly status: number | undefined;
  constructor(kind: string, message: string, status?: number, cause?: unknown) {
    super("DIGIT_LM_REQUEST_FAILED", message, { cause });
    this.kind = kind;
    this.status = status;
  }
}

/**
 * An error in a data file: unreadable, bad JSON line, ragged CSV, not Parquet, ...
 *
 * @example
 * throw new DataFileError(`line ${n} is not JSON`, { file: path, line: n });
 */
export class DataFileError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_DATA_FILE", message, where);
  }
}

/**
 * True for errors that are the user's to fix (printed without a stack trace). Checked by shape as
 * well as class, because a plugin may have loaded a second copy of this module.
 */
export function isDigitError(e: unknown): e is DigitError {
  if (e instanceof DigitError) return true;
  const c = e as { code?: unknown; format?: unknown } | null;
  return (
    typeof c?.code === "string" && c.code.startsWith("DIGIT_") && typeof c.format === "function"
  );
}

/** An LLM endpoint refused every request before answering any (nothing listens, bad key, wrong URL). */
export class EndpointUnusableError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_ENDPOINT_UNUSABLE", message, where);
  }
}

/**
 * A distributed run lost Redis, which holds its queue of builder calls: unreachable for longer than
 * the run waits (`--redis-timeout`), or stopped by a signal while it was unreachable. What the run
 * committed is in the output folder, so the same command resumes it.
 */
export class RedisLostError extends DigitError {
  /** @param url the Redis URL without its password; @param detail what happened, e.g. "unreachable for 60 s" */
  constructor(url: string, detail: string) {
    super(
      "DIGIT_REDIS_LOST",
      `lost the connection to Redis at ${url} (${detail}); the builder calls it held are abandoned`,
      {
        hint: "start Redis again (or fix the network) and run the same command again: the run resumes from the records saved in the output folder; --redis-timeout sets how long a run waits for Redis",
      },
    );
  }
}

/**
 * A task's output folder holds records that digit's own checkpoints do not account for (written by
 * DiGiT or another program), and the task cannot continue from them correctly.
 */
export class ResumeRefusedError extends DigitError {
  constructor(dir: string, why: string) {
    super("DIGIT_RESUME_REFUSED", `cannot resume from output folder '${dir}': ${why}`, {
      hint: "run again with --restart to start this task afresh (it deletes the folder's earlier output; copy it elsewhere first to keep it), or use another --output-dir",
    });
  }
}

/**
 * Writing an output file would go outside the output folder: the file, or a folder between the
 * output folder and it, is a symbolic link that resolves elsewhere (or nowhere).
 */
export class OutputOutsideError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_OUTPUT_OUTSIDE", message, where);
  }
}

/**
 * digit could not write to an output folder: the disk is full (ENOSPC), a quota is exhausted
 * (EDQUOT), the file system is read-only (EROFS), or permission is denied (EACCES, EPERM).
 */
export class OutputWriteError extends DigitError {
  /** The system error code (ENOSPC, EDQUOT, EROFS, EACCES or EPERM). */
  readonly errno: string;
  constructor(
    folder: string,
    errno: string,
    problem: string,
    path: string | undefined,
    hint: string,
    cause: unknown,
  ) {
    super(
      "DIGIT_OUTPUT_WRITE_FAILED",
      `cannot write to output folder '${folder}': ${problem} (${errno})${path ? ` while writing '${path}'` : ""}`,
      { hint, cause },
    );
    this.errno = errno;
  }
}

/**
 * The command line itself is wrong (a value no option or argument allows). The CLI exits with
 * code 2 for it, as for commander's own usage errors (unknown option, missing value).
 */
export class UsageError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_USAGE", message, where);
  }
}

/** A template (prompt, formatter, judge prompt) does not parse or fails while rendering. */
export class TemplateError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_TEMPLATE_INVALID", message, where);
  }
}

/**
 * A template tried what templates may not do: reach a constructor, prototype or global, call a
 * function outside the allowed set, or read another template file. Nothing it asked for ran.
 */
export class TemplateForbiddenError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_TEMPLATE_FORBIDDEN", message, {
      hint: "templates may use variables, filters, tests, macros, range/cycler/joiner and simple string, list and number methods; remove the rest",
      ...where,
    });
  }
}

/**
 * A block asked for batch execution (`execution: batch` or `--execution batch`) where there is no
 * batch API: a provider digit has no batch submitter for, or an endpoint that answers the batch
 * routes with 404 (vLLM and most proxies).
 */
export class BatchUnsupportedError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_BATCH_UNSUPPORTED", message, {
      hint: "use execution: online for this block, or execution: auto to use the batch API where there is one and online calls elsewhere",
      ...where,
    });
  }
}

/** None of the endpoints of an LLM block's pool (`base_url: [...]` or `endpoints:`) accepts connections. */
export class EndpointsUnreachableError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_ENDPOINTS_UNREACHABLE", message, {
      hint: "start the servers, or fix the URLs in base_url / endpoints (each is checked with a TCP connection)",
      ...where,
    });
  }
}

/** A tool definition (tool file, inline tool, MCP or OpenAPI listing) is not usable. */
export class ToolDefinitionError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_TOOL_INVALID", message, where);
  }
}

/** A tool server (an MCP server process or endpoint) could not be started or reached. */
export class ToolServerError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_TOOL_SERVER", message, where);
  }
}

/** A configured component needs network access, which this build does not use. */
export class NetworkRequiredError extends DigitError {
  constructor(what: string, where: ErrorLocation = {}) {
    super("DIGIT_NEEDS_NETWORK", `${what} needs network access to a public service`, {
      hint: "use a local alternative (search engine 'in_memory' or 'file'), or remove it",
      ...where,
    });
  }
}

/** The response cache's folder or database cannot be created or written (see docs/cache.md). */
export class CacheError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_CACHE_UNUSABLE", message, where);
  }
}

/**
 * A spending cap (`--max-cost`, `budget:`) is invalid, or a model used under a cap has no price,
 * so its spend could not be counted.
 */
export class BudgetError extends DigitError {
  constructor(message: string, where: ErrorLocation = {}) {
    super("DIGIT_BUDGET_INVALID", message, where);
  }
}

/**
 * A request was not sent because a spending cap (`--max-cost`, a task's `budget:`) could not
 * cover its worst-case cost. The engine stops the run cleanly (status `budget_exhausted`) and
 * commits nothing more, so a rerun with a higher cap resumes where this one stopped, its answered
 * requests served by the response cache.
 */
export class BudgetExhausted extends DigitError {
  constructor(message: string) {
    super("DIGIT_BUDGET_EXHAUSTED", message, {
      hint: "rerun the same command with a higher --max-cost (or task budget) to resume; answers already received are reused from the response cache",
    });
  }
}

/**
 * A task names a DiGiT builder that digit deliberately does not port (say `time_series`, which
 * fine-tunes a transformer in process). The message says why and the hint where the docs explain
 * what to use instead.
 *
 * @example
 * throw new UnsupportedBuilderError("time_series", "it fine-tunes a model", "docs/x.md#y");
 */
export class UnsupportedBuilderError extends DigitError {
  readonly requested: string;
  constructor(requested: string, why: string, docs: string, where: ErrorLocation = {}) {
    super(
      "DIGIT_BUILDER_UNSUPPORTED",
      `data builder '${requested}' is not available in digit: ${why}`,
      {
        hint: `see ${docs} for why and what to use instead`,
        ...where,
      },
    );
    this.requested = requested;
  }
}

/**
 * A tool sampler cannot give a scenario the tools it asks for: no chain, fan-in or fan-out of
 * `requested` tools exists in the task's dataflow graph (DiGiT's SamplingError). `partial` holds
 * the qualified names of the largest selection that could be formed.
 *
 * @example
 * throw new ToolSamplingError("tc/chain: no chain of 4 tools", 4, ["shop::find_order"]);
 */
export class ToolSamplingError extends DigitError {
  readonly requested: number;
  readonly partial: readonly string[];
  constructor(
    message: string,
    requested: number,
    partial: readonly string[],
    where: ErrorLocation = {},
  ) {
    super("DIGIT_TOOL_SAMPLING", message, where);
    this.requested = requested;
    this.partial = partial;
  }
}
