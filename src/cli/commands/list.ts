import { relative } from "node:path";
import { UsageError } from "../../errors.js";
import { closest } from "../../util/did-you-mean.js";
import { openRegistry } from "../registry-options.js";
import { outputWidth, table } from "../text-table.js";
import { LIST_KINDS } from "./specs.js";

/** One line of `digit list`. */
export interface ListedEntry {
  name: string;
  namespace: string;
  enabled: boolean;
  file: string;
  description: string;
}

/**
 * `digit list <kind>`: what the registry knows of one kind, from a static read of the source files
 * (no module is imported, so a broken or slow plugin cannot stop the listing).
 *
 * @example
 * process.exitCode = await listCommand("blocks", { includeNamespaces: ["public"] });
 */
export async function listCommand(kindArg: string, opts: Record<string, unknown>): Promise<number> {
  const key = (kindArg.endsWith("s") ? kindArg : `${kindArg}s`) as keyof typeof LIST_KINDS;
  const kind = LIST_KINDS[key];
  if (!kind) {
    const near = closest(kindArg, Object.keys(LIST_KINDS));
    throw new UsageError(`'${kindArg}' is not something digit can list`, {
      hint: `${near ? `did you mean '${near}'? ` : ""}use one of: ${Object.keys(LIST_KINDS).join(", ")}`,
    });
  }
  const cwd = process.cwd();
  const registry = await openRegistry(opts, cwd);
  const rel = (f: string) => {
    const r = relative(cwd, f);
    return r.startsWith("..") ? f : r;
  };
  let entries: ListedEntry[];
  if (kind === "databuilder") {
    const docs = new Map(registry.entries("databuilder").map((e) => [e.name, e.description]));
    entries = registry.builderYamls().map((b) => ({
      name: b.name,
      namespace: b.namespace,
      enabled: registry.namespaces.has(b.namespace),
      file: rel(b.file),
      description: docs.get(b.name) ?? "",
    }));
  } else {
    entries = registry.entries(kind).map((e) => ({
      name: e.name,
      namespace: e.namespace,
      enabled: registry.namespaces.has(e.namespace),
      file: rel(e.file),
      description: e.description,
    }));
  }
  entries.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  if (opts.enabled === true) entries = entries.filter((e) => e.enabled);
  if (opts.json === true) {
    for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
    return 0;
  }
  if (entries.length === 0) {
    process.stdout.write(`no ${key} found\n`);
    return 0;
  }
  // The description is cut to fit the width (full text with --json); the file column goes first
  // when the description would get fewer than 30 characters.
  const text = table(
    ["name", "namespace", "enabled", "file", "description"],
    entries.map((e) => [e.name, e.namespace, e.enabled ? "yes" : "no", e.file, e.description]),
    { width: outputWidth(), flex: 4, minFlex: 30, droppable: [3] },
  );
  process.stdout.write(text);
  const off = [...new Set(entries.filter((e) => !e.enabled).map((e) => e.namespace))];
  if (off.length)
    process.stdout.write(
      `\n(enable ${off.map((n) => `'${n}'`).join(", ")} with --include-namespaces ${off.join(",")})\n`,
    );
  return 0;
}
