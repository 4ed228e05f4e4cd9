/**
 * The samplers of the `core/columns` builder: columns of `type: sampler` whose values are drawn
 * (category, subcategory, uniform, gaussian, poisson, binomial, bernoulli, uuid, datetime,
 * timedelta, person), with conditional params, constraints, coverage and correlation. Every draw
 * is seeded by the spec's seed key and the record index. See README.md beside this file.
 */

export { samplerReferences } from "./compile.js";
export { constraintSchema, type SamplerConstraint } from "./constraints.js";
export {
  ConstraintUnsatisfiableError,
  type KeyPath,
  SamplerError,
  SamplerParamsError,
  SamplerReferenceError,
  UnknownSamplerError,
} from "./errors.js";
export { SAMPLER_PARAMS, SAMPLER_TYPES, type SamplerParams, type SamplerType } from "./params.js";
export { PERSON_FIELDS, type Person, personLocales } from "./person.js";
export { createRecordSampler, DEFAULT_MAX_ATTEMPTS, type SamplingSpec } from "./record-sampler.js";
export {
  type SamplerColumn,
  type SamplerProblem,
  samplerColumnSchema,
  samplerProblems,
} from "./schema.js";
export { DIVERSITY_STRATEGIES, samplingSettingsSchema } from "./settings.js";
