import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../../errors.js";
import { closest } from "../../util/did-you-mean.js";
import { generateSchemas, SCHEMA_FILES, schemaText } from "../json-schema.js";
import { openRegistry } from "../registry-options.js";

type SchemaKind = keyof typeof SCHEMA_FILES;
const KINDS = Object.keys(SCHEMA_FILES) as SchemaKind[];

/**
 * `digit schema <task|builder|override>` prints that JSON Schema to stdout. With `--out-dir <dir>`
 * it writes the files instead (all three, or only the one named) for editors
 * (`# yaml-language-server: $schema=...` at the top of a YAML file); `--out-dir <dir> --check`
 * only tells whether the files there are current (exit 1 if not).
 *
 * @example
 * process.exitCode = await schemaCommand("task", {});
 * process.exitCode = await schemaCommand(undefined, { outDir: "schemas", check: true });
 */
export async function schemaCommand(
  kindArg: string | undefined,
  opts: Record<string, unknown>,
): Promise<number> {
  const outDir = typeof opts.outDir === "string" ? opts.outDir : undefined;
  if (opts.check === true && outDir === undefined) {
    throw new UsageError("--check compares the files of a folder: give it with --out-dir", {
      hint: "digit schema --out-dir schemas --check",
    });
  }
  const kind = schemaKind(kindArg, outDir !== undefined);
  const cwd = process.cwd();
  const registry = await openRegistry(
    { ...opts, includeNamespaces: allNamespaces(opts, await openRegistry({}, cwd)) },
    cwd,
  );
  const schemas = await generateSchemas(registry, (m) => process.stderr.write(`warn: ${m}\n`));
  const names = kind ? [SCHEMA_FILES[kind]] : Object.values(SCHEMA_FILES);
  if (outDir === undefined) {
    process.stdout.write(schemaText(schemas[names[0]!]));
    return 0;
  }
  const dir = resolve(cwd, outDir);
  let stale = 0;
  for (const name of names) {
    const file = join(dir, name);
    const text = schemaText(schemas[name]);
    if (opts.check === true) {
      if (!existsSync(file) || readFileSync(file, "utf8") !== text) {
        process.stderr.write(
          `${file} is out of date; run: digit schema${kind ? ` ${kind}` : ""} --out-dir ${outDir}\n`,
        );
        stale++;
      }
      continue;
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, text);
    process.stdout.write(`wrote ${file}\n`);
  }
  return stale ? 1 : 0;
}

/** The schema asked for; none means every schema, which only `--out-dir` can take. */
function schemaKind(arg: string | undefined, writing: boolean): SchemaKind | undefined {
  if (arg === undefined) {
    if (writing) return undefined;
    throw new UsageError("name the schema to print: task, builder or override", {
      hint: "digit schema task > task.schema.json, or write all of them with: digit schema --out-dir schemas",
    });
  }
  if ((KINDS as string[]).includes(arg)) return arg as SchemaKind;
  const near = closest(arg, KINDS);
  throw new UsageError(`'${arg}' is not a schema digit knows`, {
    hint: `${near ? `did you mean '${near}'? ` : ""}use one of: ${KINDS.join(", ")}`,
  });
}

/** Every namespace shipped with digit is described, plus what the options add. */
function allNamespaces(
  opts: Record<string, unknown>,
  probe: { availableNamespaces: readonly string[] },
): string[] {
  const given = Array.isArray(opts.includeNamespaces) ? opts.includeNamespaces.map(String) : [];
  return [...new Set([...probe.availableNamespaces.filter((n) => n !== "core"), ...given])];
}
