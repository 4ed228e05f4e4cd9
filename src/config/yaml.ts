import { readFileSync, statSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { MissingFileError, YamlSyntaxError } from "../errors.js";
import { setPosition } from "./source-map.js";

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
 * Parse YAML text into plain values, recording the line of every mapping key and list item.
 * Merge keys (`<<`) are honoured. Duplicate keys and syntax errors name the file and line.
 *
 * @example
 * const task = parseYaml(readFileSync("task.yaml", "utf8"), "task.yaml");
 */
export function parseYaml(text: string, file: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, lineCounter, prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const line = err.linePos?.[0]?.line;
    const what = err.code === "DUPLICATE_KEY" ? "a key appears twice in one mapping" : firstLine(err.message);
    throw new YamlSyntaxError(`YAML syntax error: ${what}`, {
      file,
      line,
      hint: err.code === "DUPLICATE_KEY" ? "remove or rename one of the two keys" : "check indentation, quoting and colons near that line",
    });
  }
  // Values come from the yaml library (aliases and merge keys resolved); positions from the nodes.
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT }) as unknown;
  } catch (e) {
    if (e instanceof ReferenceError) {
      // The library's message: "Excessive alias count indicates a resource exhaustion attack", or an alias to an anchor it cannot resolve.
      const excessive = /excessive alias count/i.test(e.message);
      throw new YamlSyntaxError(excessive ? `YAML aliases expand too much (more than ${MAX_YAML_ALIAS_COUNT} alias uses, counting aliases inside anchors)` : `YAML alias error: ${e.message}`, {
        file,
        hint: excessive ? "write the repeated values out, or reuse fewer anchors inside anchors" : "define each anchor (&name) before its aliases (*name)",
      });
    }
    throw e;
  }
  attachPositions(doc.contents, value, file, lineCounter);
  return value;
}

/** Read and parse a YAML file of at most MAX_CONFIG_FILE_BYTES. */
export function readYamlFile(file: string, what = "YAML file"): unknown {
  let text: string;
  try {
    const { size } = statSync(file);
    if (size > MAX_CONFIG_FILE_BYTES) {
      throw new YamlSyntaxError(`${what} is ${mib(size)} MiB; configuration files may be at most ${mib(MAX_CONFIG_FILE_BYTES)} MiB`, {
        file,
        hint: "move large seed examples or data into a JSONL file and point seed_datastore or data_path at it",
      });
    }
    text = readFileSync(file, "utf8");
  } catch (e) {
    if (e instanceof YamlSyntaxError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new MissingFileError(file, what);
    throw new YamlSyntaxError(`cannot read ${what}: ${(e as Error).message}`, { file });
  }
  return parseYaml(text, file);
}

function attachPositions(node: Node | null | undefined | unknown, value: unknown, file: string, lc: LineCounter): void {
  if (typeof value !== "object" || value === null) return;
  if (isMap(node) && !Array.isArray(value)) {
    setPosition(value, undefined, { file, line: lineOf(node.range?.[0], lc) });
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      // Copying such a mapping (`out[key] = ...`) would replace the copy's prototype instead.
      if (key === "__proto__") throw new YamlSyntaxError("a key named '__proto__' is not allowed", { file, line: lineOf(keyNode?.range?.[0], lc), hint: "rename the key" });
      if (key === "<<" || !(key in value)) continue;
      setPosition(value, key, { file, line: lineOf(keyNode?.range?.[0], lc) });
      attachPositions(pair.value, (value as Record<string, unknown>)[key], file, lc);
    }
  } else if (isSeq(node) && Array.isArray(value)) {
    setPosition(value, undefined, { file, line: lineOf(node.range?.[0], lc) });
    node.items.forEach((item, i) => {
      setPosition(value, String(i), { file, line: lineOf((item as Node | null)?.range?.[0], lc) });
      attachPositions(item, value[i], file, lc);
    });
  }
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
