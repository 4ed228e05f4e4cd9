/**
 * Control characters a terminal would act on: C0 (except newline and tab), DEL, C1, and the
 * Unicode controls that reorder or hide text (bidi overrides and isolates, line/paragraph
 * separators). ESC is among them, so no escape sequence (colours, titles, screen clearing,
 * hyperlinks) survives.
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_SINGLE_LINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `text` made safe to print on a terminal: every control character (ESC, BEL, CR, backspace, DEL,
 * C1, bidi overrides, ...) is shown visibly as `\x1b`, `\x07`, `\u202e` instead of being sent to
 * the terminal, so text from an endpoint or a data file cannot set the window title, clear the
 * screen, overwrite a line or hide what follows. Newlines and tabs stay unless `singleLine`.
 *
 * @example
 * printable("500 \u001b]0;TITLE\u0007\u001b[2J") // "500 \\x1b]0;TITLE\\x07\\x1b[2J"
 */
export function printable(text: string, singleLine = false): string {
  return text.replace(singleLine ? UNSAFE_SINGLE_LINE : UNSAFE, escapeChar);
}

/** Characters JSON.stringify leaves raw that a terminal may still act on: C1 controls and bidi/separator controls. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A JSON text (from JSON.stringify, which already escapes C0 controls and ESC) with the controls
 * it leaves raw — DEL, C1, bidi overrides — written as `\uXXXX` escapes: the same JSON value,
 * safe to print on a terminal.
 *
 * @example
 * printableJson(JSON.stringify({ m: "a\u009bb" })) // '{"m":"a\\u009bb"}'
 */
export function printableJson(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
