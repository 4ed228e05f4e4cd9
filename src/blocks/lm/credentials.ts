import { ConfigError } from "../../errors.js";
import { rememberSecret } from "../../util/redact.js";

/** What the key lookup reads from a block config. */
interface KeyedConfig {
  name: string;
  type: string;
  api_key?: string | undefined;
}

/**
 * The API key of a provider block: config `api_key`, else the first set environment variable of
 * `envVars`. A missing key is a ConfigError at block construction (before the run starts) that
 * names the block and the variable; an empty string counts as missing.
 *
 * @example
 * const key = requireApiKey(config, ["OPENAI_API_KEY"]);
 */
export function requireApiKey(
  config: KeyedConfig,
  envVars: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string {
  const key = optionalApiKey(config, envVars, env);
  if (key) return key;
  throw new ConfigError(
    `block '${config.name}' (type ${config.type}): no API key: set ${envVars.join(" or ")} in the environment (or ./.env), or api_key in the block config`,
    {
      hint: `export ${envVars[0]}=<your key>   (for a local OpenAI-compatible server any non-empty value works)`,
    },
  );
}

/**
 * Like requireApiKey, but returns undefined when no key is set.
 *
 * @example
 * const key = optionalApiKey(config, ["OLLAMA_API_KEY"]);
 */
export function optionalApiKey(
  config: KeyedConfig,
  envVars: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const key = config.api_key ? config.api_key : envVars.map((v) => env[v]).find((v) => !!v);
  // Whatever variable or config key it came from, the key is redacted from everything written later.
  rememberSecret(key);
  return key;
}
