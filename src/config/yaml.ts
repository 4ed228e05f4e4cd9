import { readFileSync, statSync } from "node:fs";
import { type Document, LineCounter, parseDocument, visit } from "yaml";
import { MissingFileError, YamlSyntaxError } from "../errors.js";
import { attachYamlNodes, keyText } from "./source-map.js";

/**
 * The largest configuration file (task, builder, override, included YAML) digit reads: 16 MiB.
 * Parsing YAML with positions costs about 50 times the file's size in memory; large data belongs
 * in a data file (`seed_datastore`, `data_path`), which is read as a stream.
 */
export const MAX_CONFIG_FILE_BYTES = 16 * 1024 * 1024;

/**
 * How many times YAML aliases (`*name`) may be resolved, weighted by the aliases inside what they
 * name (the yaml library's measure). Enough for any configuration that reuses anchors; a
 * "billion laughs" file reaches it at once.
 */
export const MAX_YAML_ALIAS_COUNT = 1000;

/**
 * Parse YAML text into plain values, each mapping and list linked to its node for error positions.
 * Merge keys (`<<`) are honoured. Duplicate keys and syntax errors name the file and line.
 *
 * @example
 * const task = parseYaml(readFileSync("task.yaml", "utf8"), "task.yaml");
 */
export function parseYaml(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    merge: true,
    lineCounter,
    prettyErrors: true,
    uniqueKeys: true,
  });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line;
    const what =
      err.code === "DUPLICATE_KEY" ? "a key appears twice in one mapping" : firstLine(err.message);
    throw new YamlSyntaxError(`YAML syntax error: ${what}`, {
      file,
      line,
      hint:
        err.code === "DUPLICATE_KEY"
          ? "remove or rename one of the two keys"
          : "check indentation, quoting and colons near that line",
    });
  }
  rejectProtoKeys(doc, file, lineCounter);
  // Values come from the yaml library (aliases and merge keys resolved); positions from the nodes.
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT }) as unknown;
  } catch (e) {
    if (e instanceof ReferenceError) {
      // The library's message: "Excessive alias count indicates a resource exhaustion attack", or an alias to an anchor it cannot resolve.
      const excessive = /excessive alias count/i.test(e.message);
      throw new YamlSyntaxError(
        excessive
          ? `YAML aliases expand too much (more than ${MAX_YAML_ALIAS_COUNT} alias uses, counting aliases inside anchors)`
          : `YAML alias error: ${e.message}`,
        {
          file,
          hint: excessive
            ? "write the repeated values out, or reuse fewer anchors inside anchors"
            : "define each anchor (&name) before its aliases (*name)",
        },
      );
    }
    throw e;
  }
  attachYamlNodes(doc.contents, value, file, lineCounter);
  return value;
}

/** Read and parse a YAML file of at most MAX_CONFIG_FILE_BYTES. */
export function readYamlFile(file: string, what = "YAML file"): unknown {
  let text: string;
  try {
    const { size } = statSync(file);
    if (size > MAX_CONFIG_FILE_BYTES) {
      throw new YamlSyntaxError(
        `${what} is ${mib(size)} MiB; configuration files may be at most ${mib(MAX_CONFIG_FILE_BYTES)} MiB`,
        {
          file,
          hint: "move large seed examples or data into a JSONL file and point seed_datastore or data_path at it",
        },
      );
    }
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof YamlSyntaxError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new MissingFileError(file, what);
    throw new YamlSyntaxError(`cannot read ${what}: ${(e as Error).message}`, { file });
  }
  return parseYaml(text, file);
}

/** Copying a mapping with a `__proto__` key (`out[key] = ...`) would replace the copy's prototype. */
function rejectProtoKeys(doc: Document, file: string, lc: LineCounter): void {
  visit(doc, {
    Pair(_, pair) {
      if (keyText(pair.key) !== "__proto__") return;
      const offset = (pair.key as { range?: [number, number, number] } | null)?.range?.[0];
      throw new YamlSyntaxError("a key named '__proto__' is not allowed", {
        file,
        line: lineOf(offset, lc),
        hint: "rename the key",
      });
    },
  });
}

function lineOf(offset: number | undefined, lc: LineCounter): number {
  return offset === undefined ? 0 : lc.linePos(offset).line;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "");
}

function firstLine(s: string): string {
  return s.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}
