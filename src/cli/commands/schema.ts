import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { generateSchemas, schemaText } from "../json-schema.js";
import { openRegistry } from "../registry-options.js";

/**
 * `digit schema [--out dir] [--check]`: write `task.schema.json` and `builder.schema.json` for
 * editors (`# yaml-language-server: $schema=...` at the top of a YAML file), or with `--check`
 * only tell whether the files are current (exit 1 if not).
 *
 * @example
 * process.exitCode = await schemaCommand({ out: "schemas" });
 */
export async function schemaCommand(opts: Record<string, unknown>): Promise<number> {
  const cwd = process.cwd();
  const registry = await openRegistry({ ...opts, includeNamespaces: allNamespaces(opts, await openRegistry({}, cwd)) }, cwd);
  const schemas = await generateSchemas(registry, (m) => process.stderr.write(`warn: ${m}\n`));
  const dir = resolve(cwd, typeof opts.out === "string" ? opts.out : "schemas");
  let stale = 0;
  for (const [name, schema] of Object.entries(schemas)) {
    const file = join(dir, name);
    const text = schemaText(schema as Record<string, unknown>);
    if (opts.check === true) {
      if (!existsSync(file) || readFileSync(file, "utf8") !== text) {
        process.stderr.write(`${file} is out of date; run: digit schema --out ${typeof opts.out === "string" ? opts.out : "schemas"}\n`);
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

/** Every namespace shipped with digit is described, plus what the options add. */
function allNamespaces(opts: Record<string, unknown>, probe: { availableNamespaces: readonly string[] }): string[] {
  const given = Array.isArray(opts.includeNamespaces) ? opts.includeNamespaces.map(String) : [];
  return [...new Set([...probe.availableNamespaces.filter((n) => n !== "core"), ...given])];
}
