/**
 * Conditions of `conditional_params` (`"age > 60"`, `"person.sex == 'Female' and age < 30"`),
 * parsed by a small recursive-descent parser into a tree that is evaluated against a record's
 * sampled values. Nothing is ever passed to `eval`: the grammar has only column paths,
 * literals, comparisons, `in`, `not`, `and`, `or` and parentheses.
 *
 *   expr    := and ("or" and)*          ("||" is "or", "&&" is "and", "!" is "not")
 *   and     := not ("and" not)*
 *   not     := "not" not | compare
 *   compare := operand (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") operand)?
 *   operand := path | number | 'string' | "string" | true | false | null
 *            | [operand, ...] | "(" expr ")"
 */

/**
 * A parsed condition.
 *
 * @example
 * const c: Condition = parseCondition("age > 60");
 */
export type Condition =
  | { kind: "path"; path: string[] }
  | { kind: "literal"; value: unknown }
  | { kind: "list"; items: Condition[] }
  | { kind: "not"; arg: Condition }
  | { kind: "and" | "or"; args: Condition[] }
  | { kind: "compare"; op: CompareOp; left: Condition; right: Condition };

/**
 * The comparison operators a condition may use.
 *
 * @example
 * const op: CompareOp = "not in";
 */
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in";

/**
 * Thrown by {@link parseCondition}; the caller turns it into a SamplerParamsError.
 *
 * @example
 * try { parseCondition("age >"); } catch (e) { e instanceof ConditionSyntaxError; }
 */
export class ConditionSyntaxError extends Error {}

type Token = { t: "op" | "word" | "num" | "str" | "punct"; v: string };

const NAME = "[A-Za-z_][A-Za-z0-9_]*";
const NUMBER = "-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?";
/** One token: operator | dotted name | number | 'string' | "string" | punctuation. */
const TOKEN = new RegExp(
  [
    "\\s*(?:(==|!=|<=|>=|<|>|&&|\\|\\||!)",
    `(${NAME}(?:\\.${NAME})*)`,
    `(${NUMBER})`,
    "'((?:[^'\\\\]|\\\\.)*)'",
    '"((?:[^"\\\\]|\\\\.)*)"',
    "([()[\\],]))",
  ].join("|"),
  "y",
);

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < src.length) {
    if (/^\s*$/.test(src.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(src);
    if (!m)
      throw new ConditionSyntaxError(`unexpected '${src.slice(at).trim().slice(0, 10)}' at ${at}`);
    at = TOKEN.lastIndex;
    if (m[1]) out.push({ t: "op", v: m[1] });
    else if (m[2]) out.push({ t: "word", v: m[2] });
    else if (m[3]) out.push({ t: "num", v: m[3] });
    else if (m[4] !== undefined) out.push({ t: "str", v: m[4].replace(/\\(.)/g, "$1") });
    else if (m[5] !== undefined) out.push({ t: "str", v: m[5].replace(/\\(.)/g, "$1") });
    else out.push({ t: "punct", v: m[6]! });
  }
  return out;
}

/**
 * Parse a condition; throws {@link ConditionSyntaxError} with what is wrong.
 *
 * @example
 * const c = parseCondition("age > 60 and region in ['north', 'east']");
 * evaluateCondition(c, { age: 70, region: "north" }) // true
 */
export function parseCondition(src: string): Condition {
  const tokens = tokenize(src);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const isWord = (w: string): boolean => peek()?.t === "word" && peek()!.v === w;
  const isOp = (o: string): boolean => peek()?.t === "op" && peek()!.v === o;
  const expect = (v: string): void => {
    if (peek()?.v !== v) throw new ConditionSyntaxError(`expected '${v}' ${where()}`);
    i++;
  };
  const where = (): string => (peek() ? `before '${peek()!.v}'` : "at the end");

  const orExpr = (): Condition => {
    const args = [andExpr()];
    while (isWord("or") || isOp("||")) {
      i++;
      args.push(andExpr());
    }
    return args.length === 1 ? args[0]! : { kind: "or", args };
  };
  const andExpr = (): Condition => {
    const args = [notExpr()];
    while (isWord("and") || isOp("&&")) {
      i++;
      args.push(notExpr());
    }
    return args.length === 1 ? args[0]! : { kind: "and", args };
  };
  const notExpr = (): Condition => {
    if (isWord("not") || isOp("!")) {
      i++;
      return { kind: "not", arg: notExpr() };
    }
    return compare();
  };
  const compare = (): Condition => {
    const left = operand();
    let op: CompareOp | undefined;
    const tok = peek();
    if (tok?.t === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(tok.v)) {
      op = tok.v as CompareOp;
      i++;
    } else if (isWord("in")) {
      op = "in";
      i++;
    } else if (isWord("not") && tokens[i + 1]?.v === "in") {
      op = "not in";
      i += 2;
    }
    if (!op) return left;
    return { kind: "compare", op, left, right: operand() };
  };
  const operand = (): Condition => {
    const tok = peek();
    if (!tok) throw new ConditionSyntaxError("expected a value at the end");
    i++;
    if (tok.t === "num") return { kind: "literal", value: Number(tok.v) };
    if (tok.t === "str") return { kind: "literal", value: tok.v };
    if (tok.t === "word") {
      if (tok.v === "true" || tok.v === "True") return { kind: "literal", value: true };
      if (tok.v === "false" || tok.v === "False") return { kind: "literal", value: false };
      if (tok.v === "null" || tok.v === "None") return { kind: "literal", value: null };
      if (["and", "or", "not", "in"].includes(tok.v))
        throw new ConditionSyntaxError(`unexpected '${tok.v}'`);
      return { kind: "path", path: tok.v.split(".") };
    }
    if (tok.v === "(") {
      const e = orExpr();
      expect(")");
      return e;
    }
    if (tok.v === "[") {
      const items: Condition[] = [];
      if (peek()?.v !== "]") {
        items.push(operand());
        while (peek()?.v === ",") {
          i++;
          items.push(operand());
        }
      }
      expect("]");
      return { kind: "list", items };
    }
    throw new ConditionSyntaxError(`unexpected '${tok.v}'`);
  };

  if (tokens.length === 0) throw new ConditionSyntaxError("the condition is empty");
  const tree = orExpr();
  if (i < tokens.length) throw new ConditionSyntaxError(`unexpected '${tokens[i]!.v}'`);
  return tree;
}

/**
 * The first segment of every column path in a condition: the columns it reads.
 *
 * @example
 * conditionColumns(parseCondition("person.age > 60 or tier == 'gold'")) // ["person", "tier"]
 */
export function conditionColumns(c: Condition): string[] {
  const out = new Set<string>();
  const walk = (n: Condition): void => {
    if (n.kind === "path") out.add(n.path[0]!);
    else if (n.kind === "list") n.items.forEach(walk);
    else if (n.kind === "not") walk(n.arg);
    else if (n.kind === "and" || n.kind === "or") n.args.forEach(walk);
    else if (n.kind === "compare") {
      walk(n.left);
      walk(n.right);
    }
  };
  walk(c);
  return [...out];
}

function value(n: Condition, row: Readonly<Record<string, unknown>>): unknown {
  switch (n.kind) {
    case "literal":
      return n.value;
    case "list":
      return n.items.map((x) => value(x, row));
    case "path": {
      let v: unknown = row;
      for (const k of n.path)
        v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
      return v;
    }
    default:
      return evaluateCondition(n, row);
  }
}

/** A date's time; a string compared with a date is read as a date (`'2024-06-01'`). */
function time(v: unknown, other: unknown): unknown {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "string" && other instanceof Date) {
    const t = Date.parse(/^\d{4}-\d\d-\d\d$/.test(v) ? `${v}T00:00:00Z` : v);
    return Number.isNaN(t) ? v : t;
  }
  return v;
}

function order(a: unknown, b: unknown): number | undefined {
  const x = time(a, b);
  const y = time(b, a);
  if (typeof x === "number" && typeof y === "number") return x - y;
  if (typeof x === "string" && typeof y === "string") return x < y ? -1 : x > y ? 1 : 0;
  return undefined;
}

/**
 * Evaluate a parsed condition over a record's values (truthiness for a bare value; an ordering
 * of a number with a string, or of a missing value, is false).
 *
 * @example
 * evaluateCondition(parseCondition("age >= 18"), { age: 17 }) // false
 */
export function evaluateCondition(c: Condition, row: Readonly<Record<string, unknown>>): boolean {
  switch (c.kind) {
    case "and":
      return c.args.every((a) => evaluateCondition(a, row));
    case "or":
      return c.args.some((a) => evaluateCondition(a, row));
    case "not":
      return !evaluateCondition(c.arg, row);
    case "compare": {
      const l = value(c.left, row);
      const r = value(c.right, row);
      if (c.op === "in" || c.op === "not in") {
        const hit = Array.isArray(r)
          ? r.some((x) => order(l, x) === 0 || x === l)
          : typeof r === "string" && typeof l === "string" && r.includes(l);
        return c.op === "in" ? hit : !hit;
      }
      if (c.op === "==") return l === r || order(l, r) === 0;
      if (c.op === "!=") return !(l === r || order(l, r) === 0);
      const d = order(l, r);
      if (d === undefined || Number.isNaN(d)) return false;
      return c.op === "<" ? d < 0 : c.op === "<=" ? d <= 0 : c.op === ">" ? d > 0 : d >= 0;
    }
    default:
      return Boolean(value(c, row));
  }
}
