import { redactText } from "../../util/redact.js";

/**
 * Whether `dgt.llm_call` spans record prompts and completions (env `DGT_TELEMETRY_RECORD_PAYLOADS`
 * is 1/true/yes), and how long each recorded field may be (`DGT_TELEMETRY_PAYLOAD_MAX_CHARS`,
 * default 4096; a non-integer means the default).
 *
 * @example
 * const p = payloadPolicy(); if (p.record) span.set({ prompt: p.truncate(prompt).text });
 */
export function payloadPolicy(env: NodeJS.ProcessEnv = process.env): {
  record: boolean;
  maxChars: number;
  truncate(s: string): { text: string; truncated: boolean };
} {
  const record = ["1", "true", "yes"].includes(
    (env.DGT_TELEMETRY_RECORD_PAYLOADS ?? "").trim().toLowerCase(),
  );
  const parsed = Number(env.DGT_TELEMETRY_PAYLOAD_MAX_CHARS);
  const maxChars = Number.isInteger(parsed) && parsed > 0 ? parsed : 4096;
  return {
    record,
    maxChars,
    truncate: (s) =>
      s.length > maxChars
        ? { text: s.slice(0, maxChars), truncated: true }
        : { text: s, truncated: false },
  };
}

/**
 * Replace every occurrence of each secret in `text` with "***" (error messages from some
 * endpoints echo the key they rejected), and every other secret shape util/redact knows (known
 * keys, URL userinfo, Bearer tokens).
 *
 * @example
 * redact("bad key sk-123", ["sk-123"]) // "bad key ***"
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join("***");
  return redactText(out);
}
