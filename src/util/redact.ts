import { existsSync } from "node:fs";

/**
 * The one place that decides what a secret looks like, for everything digit writes to disk or
 * logs (task card, task results, logs, telemetry, run summary, error messages) and for what the
 * distributed executor may store in Redis. A secret is:
 *
 * - any value under a key named like a secret, at any depth (`api_key`, `x-api-key`,
 *   `Ocp-Apim-Subscription-Key`, `access_token`, `client_secret`, `password`, `Authorization`,
 *   `X-Auth`, `Cookie`, ...) — `extra_body` and header maps included;
 * - the token of a string that begins `Bearer ` or `Basic ` (and such a token inside text);
 * - the password of a URL's userinfo (`https://user:password@host`), or the whole userinfo when
 *   it has no password (`https://token@host`), and the value of a secret-named query parameter;
 * - any occurrence of a known secret: the value of an environment variable named like a secret
 *   (what providers read their keys from) and every key a provider resolved (rememberSecret).
 *
 * Each is replaced by `***`; the rest of the value stays readable.
 */

/** What a redacted secret becomes. */
export const REDACTED = "***";

/** Stand-ins the providers themselves use when there is no key (vLLM's "EMPTY", Ollama's "ollama"): not secrets. */
export const PLACEHOLDER_SECRETS: ReadonlySet<string> = new Set(["EMPTY", "ollama"]);

/** The words of a name: `x-api-key` → x, api, key; `accessToken` → access, token; `OPENAI_API_KEY` → openai, api, key. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Tokenizer settings named like secrets: `eos_token: "</s>"` is no key. */
const SPECIAL_TOKEN = /^(bos|eos|pad|unk|sep|cls|mask|stop|start|end|special)[_-]?token$/i;

/** Whole words that name a credential. */
const SECRET_WORDS = new Set(["cookie", "credential", "credentials", "passphrase", "signature"]);

/**
 * Whether a config key or header name holds a secret: a word of it ends in key, token, secret,
 * password or passwd (api_key, apikey, apiKey, x-api-key, Ocp-Apim-Subscription-Key,
 * access_token, client_secret, db_password), begins with auth (Proxy-Authorization, X-Auth,
 * X-Authentication, X-AuthToken; not author), or is cookie, credential(s), passphrase or
 * signature (Set-Cookie). `tokenizer`, `keywords`, `max_tokens` and special tokens (`eos_token`)
 * are not.
 *
 * @example
 * isSecretKey("Ocp-Apim-Subscription-Key") // true
 * isSecretKey("tokenizer") // false
 */
export function isSecretKey(name: string): boolean {
  if (SPECIAL_TOKEN.test(name)) return false;
  return words(name).some(
    (w) =>
      /(key|token|secret|password|passwd)$/.test(w) ||
      SECRET_WORDS.has(w) ||
      (w.startsWith("auth") && !/^author(s|ed|ing)?$/.test(w)),
  );
}

/** Secrets providers resolved in this process (rememberSecret). */
const remembered = new Set<string>();

/** Shorter values are not treated as secrets to look for inside other text (too many false hits). */
const MIN_KNOWN_LENGTH = 6;
/** An environment variable counts as a secret only from this length ("EMPTY", "1" are no keys). */
const MIN_ENV_SECRET_LENGTH = 8;

/**
 * Record a secret this process uses (a provider's resolved API key, a header value), so that every
 * later redaction replaces it wherever it appears, even in text no key name marks.
 *
 * @example
 * rememberSecret(apiKey);
 */
export function rememberSecret(value: string | undefined): void {
  if (
    typeof value === "string" &&
    value.length >= MIN_KNOWN_LENGTH &&
    !PLACEHOLDER_SECRETS.has(value)
  )
    remembered.add(value);
}

/**
 * `[name, value]` of each environment variable named like a secret (OPENAI_API_KEY, HF_TOKEN,
 * DB_PASSWORD, ...) whose value is long enough to be one, sorted by name.
 *
 * @example
 * secretVariables({ OPENAI_API_KEY: "sk-0123456789", HOME: "/root" }) // [["OPENAI_API_KEY", "sk-0123456789"]]
 */
export function secretVariables(env: NodeJS.ProcessEnv = process.env): [string, string][] {
  return Object.entries(env)
    .filter(
      (e): e is [string, string] =>
        typeof e[1] === "string" &&
        e[1].length >= MIN_ENV_SECRET_LENGTH &&
        !PLACEHOLDER_SECRETS.has(e[1]) &&
        isSecretKey(e[0]) &&
        !isExistingPath(e[1]),
    )
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const pathChecks = new Map<string, boolean>();

/** A variable holding a file or socket path (SSH_AUTH_SOCK, GOOGLE_APPLICATION_CREDENTIALS) names where a secret is, not the secret. */
function isExistingPath(value: string): boolean {
  if (!value.startsWith("/")) return false;
  let known = pathChecks.get(value);
  if (known === undefined) {
    known = existsSync(value);
    if (pathChecks.size > 1000) pathChecks.clear();
    pathChecks.set(value, known);
  }
  return known;
}

/**
 * Every secret value known to this process: secret-named environment variables and remembered
 * secrets, longest first (so that a secret containing another is replaced whole).
 *
 * @example
 * redactText(message, knownSecrets());
 */
export function knownSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const all = new Set<string>(remembered);
  for (const [, v] of env === process.env ? processSecretVariables() : secretVariables(env))
    all.add(v);
  return [...all].sort((a, b) => b.length - a.length);
}

/** How long the secret variables of process.env are reused (reading process.env costs ~0.1 ms, and every log line is redacted). */
const PROCESS_ENV_TTL_MS = 1000;
let processEnvCache: { at: number; variables: [string, string][] } | undefined;

/** secretVariables(process.env), read again at most once a second (keys providers resolve are remembered at once). */
function processSecretVariables(): [string, string][] {
  const now = Date.now();
  if (!processEnvCache || now - processEnvCache.at > PROCESS_ENV_TTL_MS)
    processEnvCache = { at: now, variables: secretVariables(process.env) };
  return processEnvCache.variables;
}

/** A string that is a credential scheme and its token: "Bearer abc", "Basic dXNlcjpw". */
const SCHEME_VALUE = /^(\s*(?:bearer|basic|token|digest|apikey)\s+)(\S[\s\S]*)$/i;
/** Inside text, a Bearer/Basic token: at least 8 characters, and not an ordinary word (a digit, one of +/=_-., or a capital after the first letter). */
const SCHEME_IN_TEXT = /\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{8,})/gi;
/** A URL's userinfo: scheme://userinfo@ */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]+)@/gi;
/** A query parameter: ?name=value or &name=value. */
const QUERY_PARAM = /([?&])([^=&#\s"'<>]+)=([^&#\s"'<>]*)/g;

function looksLikeToken(s: string): boolean {
  return /[0-9+/=_.~-]/.test(s) || /[A-Z]/.test(s.slice(1));
}

/**
 * `text` with every secret shape replaced by `***`: occurrences of `known` secrets, URL userinfo
 * passwords, secret-named query parameters and Bearer/Basic tokens. With `wholeIsSecret` (the
 * value of a secret-named key) the whole value is a secret, except a `Bearer `/`Basic ` prefix
 * and the providers' "no key" placeholders.
 *
 * @example
 * redactText("GET https://bob:hunter22@h/v1?api_key=k1 failed") // "GET https://bob:***@h/v1?api_key=*** failed"
 * redactText("Bearer sk-1234", [], true) // "Bearer ***"
 */
export function redactText(
  text: string,
  known: readonly string[] = knownSecrets(),
  wholeIsSecret = false,
): string {
  if (wholeIsSecret) {
    if (text === "" || PLACEHOLDER_SECRETS.has(text)) return text;
    const scheme = SCHEME_VALUE.exec(text);
    return scheme ? `${scheme[1]}${REDACTED}` : REDACTED;
  }
  let out = text;
  for (const s of known)
    if (s.length >= MIN_KNOWN_LENGTH && out.includes(s)) out = out.split(s).join(REDACTED);
  const scheme = SCHEME_VALUE.exec(out);
  if (scheme && /^\s*(bearer|basic)\s/i.test(out) && !/\s/.test(scheme[2]!.trim()))
    return `${scheme[1]}${REDACTED}`;
  out = out.replace(URL_USERINFO, (_m, prefix: string, info: string) => {
    const colon = info.indexOf(":");
    return colon >= 0 ? `${prefix}${info.slice(0, colon)}:${REDACTED}@` : `${prefix}${REDACTED}@`;
  });
  out = out.replace(QUERY_PARAM, (m, sep: string, name: string, value: string) =>
    value && isSecretKey(safeDecode(name)) ? `${sep}${name}=${REDACTED}` : m,
  );
  out = out.replace(SCHEME_IN_TEXT, (m, scheme: string, space: string, token: string) =>
    looksLikeToken(token) ? `${scheme}${space}${REDACTED}` : m,
  );
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Secret values under secret-named keys anywhere in `value` (to find their copies elsewhere). */
function secretsUnderKeys(
  value: unknown,
  underKey: boolean,
  into: Set<string>,
  seen = new WeakSet<object>(),
): void {
  if (typeof value === "string") {
    if (underKey && !PLACEHOLDER_SECRETS.has(value)) {
      const token = SCHEME_VALUE.exec(value)?.[2] ?? value;
      if (token.length >= MIN_KNOWN_LENGTH) into.add(token);
    }
    return;
  }
  if (!value || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) for (const v of value) secretsUnderKeys(v, underKey, into, seen);
  else
    for (const [k, v] of Object.entries(value))
      secretsUnderKeys(v, underKey || isSecretKey(k), into, seen);
}

/**
 * A deep copy of `value` with every secret replaced by `***` (see the module comment): values of
 * secret-named keys at any depth, URL userinfo, Bearer/Basic tokens, and every occurrence of a
 * known secret or of a secret found under a secret-named key elsewhere in `value`. Only strings
 * are redacted (a count under a key such as a block named `token_filter` stays a number); empty
 * strings and the providers' "no key" placeholders stay as they are; keys are kept.
 *
 * @example
 * redactSecrets({ blocks: [{ api_key: "sk-1", base_url: "https://u:pw@h/v1" }] })
 * // { blocks: [{ api_key: "***", base_url: "https://u:***@h/v1" }] }
 */
export function redactSecrets<T>(value: T, known: readonly string[] = knownSecrets()): T {
  const found = new Set<string>(known);
  secretsUnderKeys(value, false, found);
  const all = [...found].sort((a, b) => b.length - a.length);
  const seen = new WeakSet<object>();
  const visit = (v: unknown, underKey: boolean): unknown => {
    if (typeof v === "string") return redactText(v, all, underKey);
    if (!v || typeof v !== "object") return v;
    if (seen.has(v)) return "[Circular]";
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => visit(x, underKey));
      if (v instanceof Error) return visit({ name: v.name, message: v.message }, underKey);
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") return visit(toJSON.call(v), underKey);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = visit(x, underKey || isSecretKey(k));
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return visit(value, false) as T;
}

/**
 * Remember (rememberSecret) every secret in a block config: values of secret-named keys (the
 * token of a `Bearer` value) and URL userinfo passwords, so that an endpoint echoing one back in
 * an error message is redacted too.
 *
 * @example
 * rememberSecretsIn(config); // in a provider's constructor
 */
export function rememberSecretsIn(value: unknown): void {
  const found = new Set<string>();
  secretsUnderKeys(value, false, found);
  const urls = (v: unknown): void => {
    if (typeof v === "string") {
      for (const m of v.matchAll(URL_USERINFO)) {
        const info = m[2]!;
        const secret = info.includes(":") ? info.slice(info.indexOf(":") + 1) : info;
        found.add(secret);
        found.add(safeDecode(secret));
      }
    } else if (Array.isArray(v)) v.forEach(urls);
    else if (v && typeof v === "object") Object.values(v).forEach(urls);
  };
  urls(value);
  for (const s of found) rememberSecret(s);
}
