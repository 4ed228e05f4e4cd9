import { isAbsolute, normalize, posix, win32 } from "node:path";
import { ConfigError, type ErrorLocation } from "../errors.js";

/** Most file systems refuse a file or folder name longer than this many bytes (ENAMETOOLONG). */
export const MAX_NAME_BYTES = 255;

/**
 * Longest whole name (all segments) accepted, leaving room in the 4096-byte path limit for the
 * output folder in front and the file names after it.
 */
export const MAX_PATH_NAME_BYTES = 1024;

/** How a name that becomes a path below a folder is described in messages and checked. */
export interface OutputNameRule {
  /** What the name is, for messages: "task_name", "store_name", "block name 'x'". */
  what: string;
  /** The folder it stays inside, for messages: "the output folder", "the task's blocks/ folder". */
  base: string;
  /** Bytes the last segment must leave free for what digit appends (extension, temporary suffix). */
  reserve?: number | undefined;
  /** The fix to suggest when the name climbs out of its folder. */
  example: string;
}

/**
 * A block's name names the file its rejected rows go to, `blocks/<name>.<format>`, which digit
 * also writes under temporary names (`.tmp-<pid>`, `.replacing`): it keeps room for those.
 */
export const BLOCK_NAME_RULE: OutputNameRule = {
  what: "block name",
  base: "the task's blocks/ folder",
  reserve: 32,
  example: "dedup",
};

// biome-ignore lint/suspicious/noControlCharactersInRegex: names with control characters are refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A short, printable form of a name for messages (control characters escaped, long names cut). */
export function shownName(name: string): string {
  const json = JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
  return json.slice(1, -1);
}

/**
 * Check a name from a config file that becomes a relative path below a folder digit writes in
 * (`task_name` and `store_name` below the output folder, a block name below `blocks/`): it must
 * be relative, must not climb out of that folder with `..`, must not be the folder itself, and
 * must be a name every file system takes (no control characters, no blank segment, no segment
 * starting or ending with whitespace, no segment over 255 bytes, at most 1024 bytes in all).
 * Throws a ConfigError otherwise.
 *
 * @example
 * checkOutputName("my_org/qa", { what: "task_name", base: "the output folder", example: "my_org/qa" }, { file });
 */
export function checkOutputName(
  name: string,
  rule: OutputNameRule,
  where: ErrorLocation = {},
): void {
  const fail = (why: string, hint: string): never => {
    throw new ConfigError(`${rule.what} '${shownName(name)}' ${why}`, { ...where, hint });
  };
  if (name.trim() === "") fail("is blank", `use a name like '${rule.example}'`);
  if (CONTROL.test(name))
    fail(
      "contains a control character (a newline, tab, ...)",
      `use a name like '${rule.example}' on one line, without control characters`,
    );
  if (isAbsolute(name) || win32.isAbsolute(name) || climbsOut(name) || normalize(name) === ".") {
    fail(
      `would write outside ${rule.base}`,
      `use a relative name without '..', like '${rule.example}'`,
    );
  }
  const total = Buffer.byteLength(name);
  if (total > MAX_PATH_NAME_BYTES)
    fail(
      `is ${total} bytes long; at most ${MAX_PATH_NAME_BYTES} fit in a path`,
      "use a shorter name",
    );
  const segments = name.split(/[/\\]/).filter((s) => s !== "" && s !== ".");
  segments.forEach((segment, i) => {
    if (segment.trim() !== segment)
      fail(
        `has a path segment '${shownName(segment)}' that starts or ends with whitespace`,
        "remove the spaces around the '/'-separated parts of the name",
      );
    const limit = MAX_NAME_BYTES - (i === segments.length - 1 ? (rule.reserve ?? 0) : 0);
    const bytes = Buffer.byteLength(segment);
    if (bytes > limit)
      fail(
        `has a path segment of ${bytes} bytes; at most ${limit} fit in a file name`,
        "use a shorter name (split it into folders with '/')",
      );
  });
}

/**
 * Check a folder from a config file that is meant to point somewhere of its own (`output_dir` of a
 * datastore, such as a `multi_target` extra target, or of a task's `runner_config`): an absolute
 * path is taken as written (an explicit choice); a relative one is relative to the working
 * directory and must not climb out of it with `..`. Throws a ConfigError otherwise.
 *
 * @example
 * checkOwnFolder("exports", "output_dir of additional[0]", { file }); // fine; "../x" is refused
 */
export function checkOwnFolder(path: string, what: string, where: ErrorLocation = {}): void {
  if (path.trim() === "")
    throw new ConfigError(`${what} is blank`, {
      ...where,
      hint: "remove the key, or name a folder",
    });
  if (CONTROL.test(path))
    throw new ConfigError(`${what} '${shownName(path)}' contains a control character`, {
      ...where,
      hint: "name the folder on one line, without control characters",
    });
  if (isAbsolute(path)) return;
  if (climbsOut(path)) {
    throw new ConfigError(
      `${what} '${shownName(path)}' climbs out of the working directory with '..'`,
      {
        ...where,
        hint: "write a folder below the working directory, or an absolute path if the output is really meant to go there",
      },
    );
  }
}

/** True when a relative path, normalised, starts by leaving its base (`..` or `../x`). */
function climbsOut(path: string): boolean {
  const n = posix.normalize(path.replace(/\\/g, "/"));
  return n === ".." || n.startsWith("../");
}
