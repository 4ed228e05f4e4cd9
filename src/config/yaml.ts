import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { MissingFileError, YamlSyntaxError } from "../errors.js";
import { setPosition } from "./source-map.js";

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
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  attachPositions(doc.contents, value, file, lineCounter);
  return value;
}

/** Read and parse a YAML file. */
export function readYamlFile(file: string, what = "YAML file"): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
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

function firstLine(s: string): string {
  return s.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}
