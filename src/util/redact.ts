/** Keys whose values are secrets wherever they appear in a config. */
const SECRET_KEY = /^(api[_-]?key|.*token|.*secret|.*password|authorization|x-api-key)$/i;

/**
 * A deep copy of `value` with the values of secret-looking keys (api_key, *token, *secret,
 * *password, authorization) replaced by "***", for anything written to disk or logs.
 *
 * @example
 * redactSecrets({ blocks: [{ api_key: "sk-1" }] }) // { blocks: [{ api_key: "***" }] }
 */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== "" ? "***" : redactSecrets(v);
    return out as T;
  }
  return value;
}
