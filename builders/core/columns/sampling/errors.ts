import { DigitError, type ErrorLocation } from "digit-sdg";

/**
 * A key path inside one column's config, e.g. `["params", "weights"]`.
 *
 * @example
 * const at: KeyPath = ["conditional_params", "age > 60", "mean"];
 */
export type KeyPath = ReadonlyArray<string | number>;

/**
 * A sampler column the user wrote cannot be sampled: unknown sampler, wrong params, a weights list
 * of the wrong length, an unknown reference, a constraint no draw can meet. It carries the column
 * name and the key path inside that column, so the columns builder can attach the YAML file and
 * line with {@link SamplerError.at}.
 *
 * @example
 * try { createRecordSampler(spec); } catch (e) {
 *   if (e instanceof SamplerError) throw e.at(positionOf(columnsNode, e.column, e.path));
 * }
 */
export class SamplerError extends DigitError {
  /**
   * The column the error is about, or "" for an error in the task-level sampling settings
   * (`constraints`, `diversity_strategy`, `diversity_columns`, `correlation_rules`).
   */
  readonly column: string;
  /**
   * Where: inside that column's config (`["params", "weights"]`; empty for the column as a
   * whole), or, when `column` is "", from the task's top level (`["constraints", 0]`).
   */
  readonly path: KeyPath;

  constructor(
    code: string,
    column: string,
    path: KeyPath,
    message: string,
    where: ErrorLocation = {},
  ) {
    super(code, message, where);
    this.column = column;
    this.path = path;
  }

  /**
   * The same error with a file and line (and the original hint unless `where` gives one).
   *
   * @example
   * throw err.at({ file: "tasks/x/task.yaml", line: 12 });
   */
  at(where: ErrorLocation): SamplerError {
    const Ctor = this.constructor as new (
      column: string,
      path: KeyPath,
      message: string,
      where: ErrorLocation,
    ) => SamplerError;
    const copy = new Ctor(this.column, this.path, this.message, { hint: this.hint, ...where });
    return copy;
  }
}

/**
 * `sampler_type` names no sampler, or `convert_to` no conversion; the hint names the closest one.
 *
 * @example
 * new UnknownSamplerError("age", ["sampler_type"], "unknown sampler 'gausian'", {
 *   hint: "did you mean 'gaussian'?",
 * })
 */
export class UnknownSamplerError extends SamplerError {
  constructor(column: string, path: KeyPath, message: string, where: ErrorLocation = {}) {
    super("DIGIT_SAMPLER_UNKNOWN", column, path, message, where);
  }
}

/**
 * A sampler's params are wrong: a missing or unknown key, a value of the wrong type or range, a
 * weights list whose length differs from the values list, a condition that does not parse.
 *
 * @example
 * new SamplerParamsError("category", ["params", "weights"], "3 weights for 4 values")
 */
export class SamplerParamsError extends SamplerError {
  constructor(column: string, path: KeyPath, message: string, where: ErrorLocation = {}) {
    super("DIGIT_SAMPLER_PARAMS", column, path, message, where);
  }
}

/**
 * A sampler refers to a column that is not a sampler column of the same spec (subcategory
 * parent, timedelta reference, a name in a condition, constraint, diversity or correlation
 * rule), or sampler columns refer to each other in a cycle.
 *
 * @example
 * new SamplerReferenceError("end", ["params", "reference_column_name"], "unknown column 'strat'")
 */
export class SamplerReferenceError extends SamplerError {
  constructor(column: string, path: KeyPath, message: string, where: ErrorLocation = {}) {
    super("DIGIT_SAMPLER_REFERENCE", column, path, message, where);
  }
}

/**
 * Rejection sampling found no draw meeting the constraints within its retry limit.
 *
 * @example
 * new ConstraintUnsatisfiableError("", ["constraints", 0], "'low < high' could not be met")
 */
export class ConstraintUnsatisfiableError extends SamplerError {
  constructor(column: string, path: KeyPath, message: string, where: ErrorLocation = {}) {
    super("DIGIT_SAMPLER_CONSTRAINT", column, path, message, where);
  }
}
