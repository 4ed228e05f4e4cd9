import type { Row } from "digit-sdg";

/** A conversation turn as DiGiT's Magpie blocks read it: role and text under several names. */
export interface Turn {
  readonly role: string;
  readonly text: string | undefined;
}

const ROLE_KEYS = ["from", "role", "speaker"] as const;
const TEXT_KEYS = ["value", "content", "text"] as const;

/**
 * The role and text of each message of a multi-turn input (`from`/`role`/`speaker` and
 * `value`/`content`/`text`, as DiGiT accepts). A message without a role is an error message
 * returned instead; one without text keeps `text: undefined`.
 *
 * @example
 * turnsOf([{ role: "user", content: "Hi" }]) // [{ role: "user", text: "Hi" }]
 */
export function turnsOf(messages: readonly unknown[]): Turn[] | string {
  const turns: Turn[] = [];
  for (const m of messages) {
    const msg = (typeof m === "object" && m !== null ? m : {}) as Row;
    const roleKey = ROLE_KEYS.find((k) => k in msg);
    if (!roleKey)
      return `message ${JSON.stringify(m).slice(0, 80)} has no role: give it a 'from', 'role' or 'speaker' field`;
    const textKey = TEXT_KEYS.find((k) => k in msg);
    turns.push({
      role: String(msg[roleKey]),
      text: textKey === undefined ? undefined : String(msg[textKey] ?? ""),
    });
  }
  return turns;
}

/**
 * The user side of a row: its user messages joined by blank lines, or its single-turn input.
 *
 * @example
 * userText({ magpie_input: " What is 2+2? " }) // "What is 2+2?"
 */
export function userText(item: Row): string | undefined {
  const mt = item.magpie_mt_input;
  if (Array.isArray(mt) && mt.length) {
    const turns = turnsOf(mt);
    if (typeof turns === "string") throw new TypeError(turns);
    return turns
      .filter((t) => t.role === "user" && t.text !== undefined)
      .map((t) => t.text)
      .join("\n\n")
      .trim();
  }
  return typeof item.magpie_input === "string" ? item.magpie_input.trim() : undefined;
}
