import { z } from "digit-sdg";

/**
 * An inequality operator between sampled values.
 *
 * @example
 * const op: InequalityOp = "<=";
 */
export type InequalityOp = "<" | "<=" | ">" | ">=";

const OPERATOR_NAMES: Record<string, InequalityOp> = { lt: "<", le: "<=", gt: ">", ge: ">=" };

/**
 * A constraint in its parsed form: `target op rhs`, rhs another column or a number.
 *
 * @example
 * const c: SamplerConstraint = constraintSchema.parse("low < high");
 */
export interface SamplerConstraint {
  target: string;
  op: InequalityOp;
  rhs: { column: string } | { value: number };
  /** The constraint as written back in the short form, for messages. */
  text: string;
}

const NAME = "[A-Za-z_][A-Za-z0-9_]*";
const NUMBER = "-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?";
/** `<column> <op> <number or column>`. */
const SHORT = new RegExp(`^\\s*(${NAME})\\s*(<=|>=|<|>)\\s*(?:(${NUMBER})|(${NAME}))\\s*$`);

function make(target: string, op: InequalityOp, rhs: number | string): SamplerConstraint {
  return {
    target,
    op,
    rhs: typeof rhs === "number" ? { value: rhs } : { column: rhs },
    text: `${target} ${op} ${rhs}`,
  };
}

/**
 * A constraint between sampled columns: the short form `"low < high"` / `"age >= 18"`, or Data
 * Designer's object form `{ target_column, operator: lt|le|gt|ge, rhs }` where a string `rhs`
 * names a column and a number is a bound. Records whose draws break a constraint are drawn
 * again (rejection sampling).
 *
 * @example
 * constraintSchema.parse("start_age < end_age")
 * // { target: "start_age", op: "<", rhs: { column: "end_age" }, text: "start_age < end_age" }
 * constraintSchema.parse({ target_column: "age", operator: "ge", rhs: 18 })
 */
export const constraintSchema = z.union([
  z.string().transform((s, ctx) => {
    const m = SHORT.exec(s);
    if (!m) {
      ctx.addIssue({
        code: "custom",
        message:
          `constraint '${s}' is not '<column> <op> <column or number>' with op one of ` +
          `<, <=, >, >=`,
      });
      return z.NEVER;
    }
    return make(m[1]!, m[2] as InequalityOp, m[3] !== undefined ? Number(m[3]) : m[4]!);
  }),
  z
    .strictObject({
      target_column: z.string().min(1),
      operator: z.enum(["lt", "le", "gt", "ge", "<", "<=", ">", ">="]),
      rhs: z.union([z.number(), z.string().min(1)]),
    })
    .transform((c) =>
      make(c.target_column, OPERATOR_NAMES[c.operator] ?? (c.operator as InequalityOp), c.rhs),
    ),
]);

/**
 * The columns a constraint reads.
 *
 * @example
 * constraintColumns(constraintSchema.parse("a < b")) // ["a", "b"]
 */
export function constraintColumns(c: SamplerConstraint): string[] {
  return "column" in c.rhs ? [c.target, c.rhs.column] : [c.target];
}

function comparable(v: unknown): number | string | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number" || typeof v === "string") return v;
  if (typeof v === "boolean") return Number(v);
  return undefined;
}

/**
 * Whether a record's values meet a constraint (values of different kinds never do).
 *
 * @example
 * constraintHolds(constraintSchema.parse("a < 3"), { a: 2 }) // true
 */
export function constraintHolds(
  c: SamplerConstraint,
  values: Readonly<Record<string, unknown>>,
): boolean {
  const l = comparable(values[c.target]);
  const r = "value" in c.rhs ? c.rhs.value : comparable(values[c.rhs.column]);
  if (l === undefined || r === undefined || typeof l !== typeof r) return false;
  return c.op === "<" ? l < r : c.op === "<=" ? l <= r : c.op === ">" ? l > r : l >= r;
}
