import { createRequire } from "node:module";
import { parse as parseJs } from "acorn";
import { Ajv, type ValidateFunction } from "ajv";
import { ConfigError } from "digit-sdg";
import type { ValidationColumn } from "./schema.js";

/** What a validation cell stores: whether every target passed, and why not. */
export interface ValidationResult {
  is_valid: boolean;
  /** One message per failing target (empty when valid). */
  errors: string[];
}

/** A check of one value; returns why it fails, or undefined when it passes. */
type Check = (value: unknown) => string | undefined;

const LANGUAGE_ALIASES: Readonly<Record<string, string>> = {
  js: "javascript",
  javascript: "javascript",
  mjs: "javascript",
  jsx: "javascript",
  ts: "typescript",
  typescript: "typescript",
  tsx: "typescript",
  json: "json",
  sql: "sql",
  mysql: "sql",
  postgres: "sql",
  postgresql: "sql",
  sqlite: "sql",
  bigquery: "sql",
  tsql: "sql",
  "sql:sqlite": "sql",
  "sql:postgres": "sql",
  "sql:mysql": "sql",
};

/** The languages `validator_type: code` checks. */
export const CODE_LANGUAGES = Object.keys(LANGUAGE_ALIASES);

/**
 * Build the check of a validation column once (at plan time, so a bad pattern, schema or language
 * is a config error before any output): `check(record)` tests each target column's value.
 *
 * @example
 * const check = validationCheck(column); check({ question: "Hi?" }) // { is_valid: true, errors: [] }
 */
export function validationCheck(
  column: ValidationColumn,
  where: { file?: string | undefined; line?: number | undefined } = {},
): (record: Record<string, unknown>) => ValidationResult {
  const one = valueCheck(column, where);
  return (record) => {
    const errors: string[] = [];
    for (const target of column.target_columns) {
      const why = one(record[target]);
      if (why !== undefined) errors.push(`${target}: ${why}`);
    }
    return { is_valid: errors.length === 0, errors };
  };
}

function valueCheck(
  column: ValidationColumn,
  where: { file?: string | undefined; line?: number | undefined },
): Check {
  const p = column.params;
  const bad = (message: string, hint?: string) =>
    new ConfigError(`validation column '${column.name}': ${message}`, { ...where, hint });
  switch (column.validator_type) {
    case "length": {
      const min = p.min === undefined ? 0 : Number(p.min);
      const max = p.max === undefined ? Infinity : Number(p.max);
      if (!Number.isFinite(min) || Number.isNaN(max) || min > max)
        throw bad(
          "length needs numbers params.min ≤ params.max",
          "e.g. params: { min: 10, max: 200 }",
        );
      return (v) => {
        const n = textOf(v).length;
        return n < min
          ? `${n} characters, fewer than ${min}`
          : n > max
            ? `${n} characters, more than ${max}`
            : undefined;
      };
    }
    case "regex": {
      if (typeof p.pattern !== "string") throw bad("regex needs params.pattern (a string)");
      let re: RegExp;
      try {
        re = new RegExp(p.pattern, typeof p.flags === "string" ? p.flags : "");
      } catch (e) {
        throw bad(`params.pattern is not a valid regular expression: ${(e as Error).message}`);
      }
      const mustMatch = p.must_match !== false;
      return (v) =>
        re.test(textOf(v)) === mustMatch
          ? undefined
          : mustMatch
            ? `does not match /${p.pattern}/`
            : `matches /${p.pattern}/`;
    }
    case "json_schema": {
      const validate = compileSchema(p.schema, bad);
      return (v) => {
        const value = typeof v === "string" ? tryJson(v) : v;
        return validate(value) ? undefined : `does not fit the schema: ${schemaErrors(validate)}`;
      };
    }
    case "code":
      return codeCheck(String(p.code_lang ?? ""), bad);
  }
}

/** A compiled JSON Schema (errors from ajv as config errors). */
export function compileSchema(schema: unknown, bad: (m: string) => Error): ValidateFunction {
  try {
    return ajv.compile(schema as object);
  } catch (e) {
    throw bad(`the JSON Schema is not valid: ${(e as Error).message}`);
  }
}

/** ajv's errors as one line. */
export function schemaErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`)
    .join("; ");
}

const ajv = new Ajv({ allErrors: true, strict: false });

function codeCheck(lang: string, bad: (m: string, hint?: string) => Error): Check {
  const language = LANGUAGE_ALIASES[lang.toLowerCase()];
  if (!language)
    throw bad(
      `code checks do not know language '${lang}'`,
      `params.code_lang is one of: ${CODE_LANGUAGES.join(", ")}`,
    );
  switch (language) {
    case "javascript":
      return (v) => jsProblem(textOf(v));
    case "typescript": {
      const ts = loadTypeScript();
      if (!ts)
        throw bad(
          "TypeScript checks need the 'typescript' package, which is not installed",
          "npm install typescript, or check the code as javascript",
        );
      return (v) => {
        const source = ts.createSourceFile(
          "cell.ts",
          textOf(v),
          ts.ScriptTarget.Latest,
          false,
          ts.ScriptKind.TS,
        ) as unknown as { parseDiagnostics: { messageText: unknown; start?: number }[] };
        const d = source.parseDiagnostics[0];
        return d
          ? `TypeScript syntax error: ${typeof d.messageText === "string" ? d.messageText : JSON.stringify(d.messageText)}`
          : undefined;
      };
    }
    case "json":
      return (v) => {
        try {
          JSON.parse(textOf(v));
          return undefined;
        } catch (e) {
          return `not JSON: ${(e as Error).message}`;
        }
      };
    default: {
      // node-sql-parser is large: loaded only when a task checks SQL.
      const { Parser } = createRequire(import.meta.url)("node-sql-parser") as {
        Parser: new () => { astify(sql: string, opt?: { database?: string }): unknown };
      };
      const parser = new Parser();
      const database = {
        mysql: "MySQL",
        postgres: "PostgresQL",
        postgresql: "PostgresQL",
        "sql:postgres": "PostgresQL",
        sqlite: "Sqlite",
        "sql:sqlite": "Sqlite",
        bigquery: "BigQuery",
        tsql: "TransactSQL",
        "sql:mysql": "MySQL",
      }[lang.toLowerCase()];
      return (v) => {
        try {
          parser.astify(textOf(v), database ? { database } : {});
          return undefined;
        } catch (e) {
          return `SQL does not parse: ${((e as Error).message ?? String(e)).split("\n")[0]}`;
        }
      };
    }
  }
}

/** Why JavaScript source does not parse (as a module, else as a script), or undefined. */
function jsProblem(code: string): string | undefined {
  try {
    parseJs(code, { ecmaVersion: "latest", sourceType: "module" });
    return undefined;
  } catch (module) {
    try {
      parseJs(code, {
        ecmaVersion: "latest",
        sourceType: "script",
        allowReturnOutsideFunction: true,
      });
      return undefined;
    } catch {
      return `JavaScript syntax error: ${(module as Error).message}`;
    }
  }
}

interface TypeScriptApi {
  createSourceFile(
    name: string,
    text: string,
    target: number,
    setParents: boolean,
    kind: number,
  ): unknown;
  ScriptTarget: { Latest: number };
  ScriptKind: { TS: number };
}

let typescript: TypeScriptApi | null | undefined;

/** The typescript package if installed (it is optional: a development dependency of digit). */
function loadTypeScript(): TypeScriptApi | undefined {
  if (typescript === undefined) {
    try {
      typescript = createRequire(import.meta.url)("typescript") as TypeScriptApi;
    } catch {
      typescript = null;
    }
  }
  return typescript ?? undefined;
}

/** A value as the text a check reads. */
function textOf(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
