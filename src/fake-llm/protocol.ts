/**
 * What the fake LLM server knows of the four APIs it speaks: which one a path belongs to, how each
 * authenticates, shapes its errors and carries message text.
 */
import type { FakeRequest } from "./types.js";

/** Where each protocol reports prompt and completion tokens (watsonx generation: per result). */
const USAGE_FIELDS: readonly [prompt: string, completion: string][] = [
  ["prompt_tokens", "completion_tokens"],
  ["input_tokens", "output_tokens"],
  ["prompt_eval_count", "eval_count"],
  ["input_token_count", "generated_token_count"],
];

/** The `usage` option: overwrite the token counts an answer reports, wherever its protocol puts them. */
export function reportUsage(
  answer: unknown,
  usage: { prompt?: unknown; completion?: unknown },
): void {
  const a = answer as Record<string, unknown>;
  const holders = [a, a.usage, ...(Array.isArray(a.results) ? a.results : [])].filter(
    (h): h is Record<string, unknown> => !!h && typeof h === "object",
  );
  for (const h of holders) {
    for (const [prompt, completion] of USAGE_FIELDS) {
      if (prompt in h && "prompt" in usage) h[prompt] = usage.prompt;
      if (completion in h && "completion" in usage) h[completion] = usage.completion;
    }
  }
}

/** The `short` failure: remove the last choice of an OpenAI-shaped answer. */
export function dropLastChoice(answer: unknown): void {
  const choices = (answer as { choices?: unknown }).choices;
  if (Array.isArray(choices)) choices.pop();
}

/** The API a request path belongs to. */
export function protocolOf(path: string): FakeRequest["protocol"] {
  if (path.startsWith("/api/")) return "ollama";
  if (path.startsWith("/ml/")) return "watsonx";
  if (path.endsWith("/messages")) return "anthropic";
  return "openai";
}

/** The key or token of an authorization header, without `Bearer `. */
export function bearer(auth: string | undefined): string | undefined {
  return auth?.replace(/^Bearer\s+/i, "");
}

/** Whether a request's credentials are the expected key (watsonx: a token the fake issued). */
export function authorized(
  auth: string | undefined,
  key: string,
  protocol: FakeRequest["protocol"],
): boolean {
  const given = bearer(auth);
  // watsonx sends an IAM token obtained with the key, not the key itself.
  if (protocol === "watsonx") return !!given && given.startsWith("fake-iam-token-");
  return given === key;
}

/** An error body shaped like the protocol's real errors. */
export function errorBody(
  protocol: FakeRequest["protocol"],
  message: string,
  type: string,
): unknown {
  if (protocol === "anthropic") return { type: "error", error: { type, message } };
  if (protocol === "ollama") return { error: message };
  if (protocol === "watsonx")
    return { errors: [{ code: type, message }], trace: "fake", status_code: 0 };
  return { error: { message, type, code: type } };
}

/** The text of a message's content (a string or a list of parts). */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((p) =>
        typeof p === "string"
          ? p
          : typeof (p as { text?: unknown }).text === "string"
            ? (p as { text: string }).text
            : "",
      )
      .join(" ");
  return "";
}

/** The text of the last message of a chat request. */
export function lastMessageText(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) return "";
  return contentText((messages[messages.length - 1] as { content?: unknown }).content);
}

/** The text of every message of a chat request, joined. */
export function allMessagesText(messages: unknown): string {
  return Array.isArray(messages)
    ? messages.map((m) => contentText((m as { content?: unknown }).content)).join(" ")
    : "";
}

/** A rough token count: whitespace-separated words. */
export const countWords = (s: string): number => (s.match(/\S+/g) ?? []).length;
