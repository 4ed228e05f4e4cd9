/**
 * The samplers of the `core/columns` builder: columns of `type: sampler` whose values are drawn
 * (category, subcategory, uniform, gaussian, poisson, binomial, bernoulli, uuid, datetime,
 * timedelta, person), with conditional params, constraints, coverage and correlation. Every draw
 * is seeded by the spec's seed key and the record index. See README.md beside this file.
 */
export {
  samplerColumnSchema,
  samplerProblems,
  type SamplerColumn,
  type SamplerProblem,
} from "./schema.js";
export { samplerReferences } from "./compile.js";
export { createRecordSampler, DEFAULT_MAX_ATTEMPTS, type SamplingSpec } from "./record-sampler.js";
export { samplingSettingsSchema, DIVERSITY_STRATEGIES } from "./settings.js";
export { constraintSchema, type SamplerConstraint } from "./constraints.js";
export { SAMPLER_TYPES, SAMPLER_PARAMS, type SamplerType, type SamplerParams } from "./params.js";
export { PERSON_FIELDS, personLocales, type Person } from "./person.js";
export {
  SamplerError,
  UnknownSamplerError,
  SamplerParamsError,
  SamplerReferenceError,
  ConstraintUnsatisfiableError,
  type KeyPath,
} from "./errors.js";
