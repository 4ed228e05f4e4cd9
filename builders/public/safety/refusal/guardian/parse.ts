/**
 * What a guardian model said about one text.
 *
 * @example
 * const label: GuardianLabel = guardianLabel("<score> no </score>"); // "safe"
 */
export type GuardianLabel = "unsafe" | "safe" | "unknown";

/**
 * Read a Granite Guardian reply: `<score> yes </score>` means the text is risky, `no` safe (the
 * `<think>` part, if any, is ignored). Without a score tag, a reply that is just yes/no counts too;
 * anything else is `unknown`, which is neither kept as harmful nor as safe.
 *
 * @example
 * guardianLabel("<think>...</think>\n<score> yes </score>") // "unsafe"
 */
export function guardianLabel(reply: string): GuardianLabel {
  const body = reply.replace(/<think>[\s\S]*?<\/think>/gi, "");
  const tag = /<score>\s*(yes|no)\s*<\/score>/i.exec(body);
  const word = tag?.[1] ?? /^\s*(yes|no)\b[.!]?\s*$/i.exec(body)?.[1];
  if (!word) return "unknown";
  return word.toLowerCase() === "yes" ? "unsafe" : "safe";
}
