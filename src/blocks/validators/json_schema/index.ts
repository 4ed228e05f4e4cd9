import { z } from "zod";
import { ConfigError } from "../../../errors.js";
import { registerBlock } from "../../../registry/decorators.js";
import type { Row } from "../../../util/mapping.js";
import type { BlockConfig, BlockContext, BlockFields, BlockItem } from "../../block.js";
import { type Validation, ValidatorBlock } from "../../validator.js";
import { checkFields, perFieldSchema, rulesOf } from "../fields.js";

const shapeValue: z.ZodType = z.lazy(() => z.union([z.string(), z.record(z.string(), shapeValue)]));
const rule = z.strictObject({
  /** A JSON Schema (draft 2020-12 keywords that zod's `fromJSONSchema` understands). */
  schema: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("A JSON Schema the value must satisfy"),
  /**
   * A compact zod shape: `{ question: string, tags: "string[]", score: "number?", meta: { source: string } }`.
   * Types: string, number, integer, boolean, null, any; suffix `[]` for a list, `?` for optional.
   */
  shape: z
    .record(z.string(), shapeValue)
    .optional()
    .describe('A compact shape, e.g. { question: string, tags: "string[]", score: "number?" }'),
  /** Parse a string value as JSON first (typical for LLM answers); a parse failure rejects the row. */
  parse_json: z
    .boolean()
    .default(false)
    .describe("Parse a string value as JSON first (a parse failure rejects the row)"),
  /** With `shape`: reject keys the shape does not name. */
  strict: z.boolean().default(false).describe("With shape: reject keys the shape does not name"),
});
type Rule = { schema: z.ZodType; parseJson: boolean };

/** The YAML keys of a `json_schema` block. */
const jsonSchemaConfigSchema = perFieldSchema(rule);

/**
 * Checks fields against a JSON Schema or a compact zod shape declared in YAML (new in digit); the
 * reason names the failing path inside the value, e.g. `answer: at 'steps[2].score': expected number`.
 *
 * @example
 * - name: well_formed
 *   type: json_schema
 *   filter: true
 *   fields:
 *     answer:
 *       parse_json: true
 *       schema:
 *         type: object
 *         required: [steps]
 *         properties: { steps: { type: array, items: { type: string }, minItems: 1 } }
 *     meta: { shape: { source: string, score: "number?" } }
 */
@registerBlock("json_schema")
export class JsonSchemaValidator extends ValidatorBlock<typeof jsonSchemaConfigSchema, Row> {
  /** Each row is judged on its own: postprocessing may stream through it. */
  static override rowwise = true;
  static override configSchema = jsonSchemaConfigSchema;
  static override fields: BlockFields | undefined = { required: [], optional: ["input"] };
  private readonly rules: [string, Rule][];

  constructor(config: BlockConfig, ctx?: BlockContext) {
    super(config, ctx);
    this.rules = rulesOf(this.config, ["schema", "shape", "parse_json", "strict"], (raw, path) => {
      const r = rule.parse(raw);
      const where = `block '${this.name}', field '${path}'`;
      if ((r.schema === undefined) === (r.shape === undefined))
        throw new ConfigError(
          `${where}: give exactly one of 'schema' (JSON Schema) or 'shape' (compact zod shape)`,
        );
      let schema: z.ZodType;
      try {
        schema = r.schema
          ? z.fromJSONSchema(r.schema as Parameters<typeof z.fromJSONSchema>[0])
          : shapeToZod(r.shape!, r.strict, where);
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        throw new ConfigError(`${where}: the JSON Schema is not usable: ${(e as Error).message}`, {
          hint: "use standard JSON Schema keywords (type, properties, required, items, enum, ...)",
        });
      }
      return { schema, parseJson: r.parse_json };
    });
  }

  override validate(item: BlockItem): Validation {
    return checkFields(item, this.rules, (value, r) => {
      let v = value;
      if (r.parseJson && typeof v === "string") {
        try {
          v = JSON.parse(v);
        } catch (e) {
          return `not valid JSON (${(e as Error).message})`;
        }
      }
      const result = r.schema.safeParse(v);
      if (result.success) return undefined;
      const issue = result.error.issues[0]!;
      const at = formatPath(issue.path);
      return {
        reason: `${at ? `at '${at}': ` : ""}${issue.message}`,
        metadata: { path: at, issues: result.error.issues.length },
      };
    });
  }
}

/** `a.b[2].c` from a zod issue path. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

const SCALARS: Record<string, () => z.ZodType> = {
  string: () => z.string(),
  number: () => z.number(),
  integer: () => z.number().int(),
  boolean: () => z.boolean(),
  null: () => z.null(),
  any: () => z.unknown(),
};

/**
 * Build a zod schema from the compact YAML shape.
 *
 * @example
 * shapeToZod({ q: "string", tags: "string[]", n: "integer?" }, false, "here")
 */
export function shapeToZod(
  shape: Record<string, unknown>,
  strict: boolean,
  where: string,
): z.ZodType {
  const entries = Object.entries(shape).map(([key, spec]): [string, z.ZodType] => {
    if (spec !== null && typeof spec === "object")
      return [key, shapeToZod(spec as Record<string, unknown>, strict, where)];
    const m = /^\s*(\w+)\s*(\[\])?\s*(\?)?\s*$/.exec(String(spec));
    const make = m ? SCALARS[m[1]!] : undefined;
    if (!m || !make)
      throw new ConfigError(`${where}: unknown type '${String(spec)}' for '${key}' in shape`, {
        hint: `use one of ${Object.keys(SCALARS).join(", ")}, with '[]' for a list and '?' for optional`,
      });
    let t = make();
    if (m[2]) t = z.array(t);
    if (m[3]) t = t.optional();
    return [key, t];
  });
  const obj = z.object(Object.fromEntries(entries));
  return strict ? obj.strict() : obj;
}
