import { createHash } from "node:crypto";
import { DigitError } from "../../../errors.js";
import type { UnitContext } from "./protocol.js";

/**
 * API keys never go to Redis. Before the coordinator stores a builder context, every secret in it
 * (the value of a secret-named key such as `api_key`, `apikey`, `access_token`, `password`,
 * `Authorization`, at any depth: block configs, a judge's `lm_config`, headers, task specs) is
 * replaced by a reference to the coordinator's environment variable that holds it,
 * `{"$env": "OPENAI_API_KEY", "fingerprint": "…"}`. A worker puts the value of that variable in
 * ITS OWN environment back before it builds the blocks. A secret that no variable holds (written
 * literally in the YAML) refuses the distributed run before anything is enqueued.
 *
 * The fingerprint is a short salted hash of the value: it lets a worker whose variable holds
 * another value say so (its requests would count against another credential's cluster-wide
 * limit) without the key itself ever leaving the process.
 */

/** A secret as stored in Redis: the name of the variable that holds it, never the value. */
export interface SecretRef {
  $env: string;
  /** First 16 hex digits of sha256("digit-secret-ref\0" + value). */
  fingerprint: string;
}

/** A distributed run refused because a secret in a config cannot be sent as a reference. */
export class SecretNotInEnvError extends DigitError {
  constructor(message: string, hint: string) {
    super("DIGIT_SECRET_NOT_IN_ENV", message, { hint });
  }
}

/** A worker cannot put a secret back: its variable is unset, or holds another value than the coordinator's. */
export class WorkerSecretError extends DigitError {
  constructor(code: "DIGIT_WORKER_ENV_UNSET" | "DIGIT_WORKER_ENV_MISMATCH", message: string, hint: string) {
    super(code, message, { hint });
  }
}

/**
 * The variables each provider reads its key from (preferred when several variables hold a key),
 * by block type. From src/blocks/lm/<provider>/index.ts.
 */
const STANDARD_ENV: Readonly<Record<string, readonly string[]>> = {
  openai: ["OPENAI_API_KEY"],
  "vllm-remote": ["OPENAI_API_KEY"],
  "azure-openai": ["AZURE_OPENAI_API_KEY"],
  anthropic: ["ANTHROPIC_API_KEY"],
  ollama: ["OLLAMA_API_KEY"],
  vllm: ["VLLM_API_KEY"],
  "vllm-server": ["VLLM_API_KEY"],
  watsonx: ["WATSONX_API_KEY", "WATSONX_API_TOKEN"],
};
const ALL_STANDARD = new Set(Object.values(STANDARD_ENV).flat());

/** Stand-ins the providers themselves use when there is no key (vLLM's "EMPTY", Ollama's "ollama"): not secrets. */
const PLACEHOLDERS = new Set(["EMPTY", "ollama"]);

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

/**
 * Whether a config key's value is a secret: a word of it ends in key, token, secret, password or
 * passwd (api_key, apikey, apiKey, x-api-key, access_token, client_secret, db_password), or is
 * authorization, credential(s) or passphrase. `tokenizer`, `keywords`, `max_tokens` and special
 * tokens (`eos_token`) are not.
 *
 * @example
 * isSecretKey("api_key") // true
 * isSecretKey("tokenizer") // false
 */
export function isSecretKey(name: string): boolean {
  if (SPECIAL_TOKEN.test(name)) return false;
  return words(name).some((w) => /(key|token|secret|password|passwd)$/.test(w) || w === "authorization" || w === "credential" || w === "credentials" || w === "passphrase");
}

/**
 * Whether a value is a SecretRef.
 *
 * @example
 * isSecretRef({ $env: "OPENAI_API_KEY", fingerprint: "0123456789abcdef" }) // true
 */
export function isSecretRef(value: unknown): value is SecretRef {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return typeof v.$env === "string" && typeof v.fingerprint === "string" && Object.keys(v).length === 2;
}

/**
 * The fingerprint of a secret: a salted sha256, shortened (identifies, never reveals, the value).
 *
 * @example
 * secretFingerprint("sk-...") // "3f2a9c01d4e5f6a7"
 */
export function secretFingerprint(value: string): string {
  return createHash("sha256").update("digit-secret-ref\u0000").update(value).digest("hex").slice(0, 16);
}

/** Keys and indexes from a part of a context down to a value. */
type Path = (string | number)[];
/** The parts of a context that may hold secrets. */
type Part = "config" | "tasks" | "builderOptions";

/** Where a path points, for messages: `builder 'b', block 'generator', key lm_config.api_key`. */
function describe(context: UnitContext, part: Part, path: Path): string {
  const keyPath = (p: Path) => p.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
  const where = [`builder '${context.builderName}'`];
  if (part === "config" && path[0] === "blocks" && typeof path[1] === "number") {
    const block = (context.config.blocks as Record<string, unknown>[] | undefined)?.[path[1]];
    where.push(typeof block?.name === "string" ? `block '${block.name}'` : `blocks[${path[1]}]`);
    path = path.slice(2);
  } else if (part === "tasks" && typeof path[0] === "number") {
    const task = context.tasks[path[0]];
    where.push(`task '${String(task?.spec.task_name ?? path[0])}'`);
    path = path.slice(1);
    if (path[0] === "runnerConfig") {
      where.push("runner settings");
      path = path.slice(1);
    } else if (path[0] === "spec") path = path.slice(1);
  } else if (part === "builderOptions") where.push("builder options");
  return `${where.join(", ")}, key ${keyPath(path)}`;
}

/** Variables whose name looks like a secret's, with a value long enough to be one. */
function secretVariables(env: NodeJS.ProcessEnv): [string, string][] {
  return Object.entries(env)
    .filter((e): e is [string, string] => typeof e[1] === "string" && e[1].length >= 8 && (isSecretKey(e[0]) || ALL_STANDARD.has(e[0])))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The variable to refer to for `value`: the provider's own names first, then any standard one, then secret-looking names, then by name. */
function variableHolding(value: string, blockType: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const names = Object.keys(env).filter((k) => env[k] === value);
  if (names.length === 0) return undefined;
  const preferred = blockType ? (STANDARD_ENV[blockType] ?? []) : [];
  const rank = (n: string) => {
    const i = preferred.indexOf(n);
    if (i >= 0) return i;
    if (ALL_STANDARD.has(n)) return 10;
    return isSecretKey(n) ? 20 : 30;
  };
  return names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))[0];
}

/** `${OPENAI_API_KEY}` for an openai block, else a made-up name. */
function suggestedVariable(blockType: string | undefined): string {
  return (blockType && STANDARD_ENV[blockType]?.[0]) ?? "MY_API_KEY";
}

/**
 * A copy of a builder context in which every secret is a SecretRef to the variable of `env` that
 * holds it (coordinator side, before the context goes to Redis). Throws SecretNotInEnvError
 * naming the builder, block and key when a secret is in no variable, and when the value of a
 * secret-named variable appears inside some other string (a header, a URL) that cannot be sent
 * as a reference.
 *
 * @example
 * const stored = referSecrets(context); // blocks[0].api_key → { $env: "OPENAI_API_KEY", fingerprint: "…" }
 */
export function referSecrets(context: UnitContext, env: NodeJS.ProcessEnv = process.env): UnitContext {
  const known = secretVariables(env);
  const contained = (s: string) => known.find(([, v]) => s.includes(v))?.[0];

  const visit = (value: unknown, part: Part, path: Path, blockType: string | undefined, secretKey: boolean): unknown => {
    if (typeof value === "string") {
      if (secretKey && value !== "" && !PLACEHOLDERS.has(value)) {
        const name = variableHolding(value, blockType, env);
        if (name) return { $env: name, fingerprint: secretFingerprint(value) } satisfies SecretRef;
        const inside = contained(value);
        const key = String(path[path.length - 1]);
        const suggested = suggestedVariable(blockType);
        if (inside) {
          throw new SecretNotInEnvError(
            `${describe(context, part, path)}: the value contains the secret of ${inside}; a distributed run never writes secrets to Redis, and only a whole value can be sent to workers as a variable name`,
            `give ${key} the variable alone (${key}: \${${inside}}), e.g. leave the header out and use api_key: \${${inside}}; set ${inside} on the coordinator and on every worker`,
          );
        }
        throw new SecretNotInEnvError(
          `${describe(context, part, path)}: the secret is written in the config, not taken from an environment variable; a distributed run never writes secrets to Redis, so workers must read it from their own environment`,
          `put the key in an environment variable set on the coordinator and on every worker, and refer to it: ${key}: \${${suggested}} (export ${suggested}=<your key>, or put it in ./.env)`,
        );
      }
      const inside = contained(value);
      if (inside) {
        throw new SecretNotInEnvError(
          `${describe(context, part, path)}: the value contains the secret of ${inside}; a distributed run never writes secrets to Redis`,
          `remove it from that value: pass secrets only as whole values of keys such as api_key (api_key: \${${inside}}), set on the coordinator and on every worker`,
        );
      }
      return value;
    }
    if (Array.isArray(value)) return value.map((v, i) => visit(v, part, [...path, i], blockType, secretKey));
    if (value && typeof value === "object") {
      if (isSecretRef(value)) return value;
      const obj = value as Record<string, unknown>;
      const type = typeof obj.type === "string" ? obj.type : blockType;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) out[k] = visit(v, part, [...path, k], type, secretKey || isSecretKey(k));
      return out;
    }
    return value;
  };

  return mapParts(context, (value, part, path) => visit(value, part, path, undefined, false));
}

/**
 * A copy of a stored builder context with every SecretRef replaced by the value of its variable
 * in `env` (worker side, in memory only). Throws WorkerSecretError naming the variable, the
 * builder and the block when the variable is unset or empty here, or holds another value than
 * on the coordinator.
 *
 * @example
 * const context = resolveSecrets(JSON.parse(raw) as UnitContext, process.env, "host:4242");
 */
export function resolveSecrets(context: UnitContext, env: NodeJS.ProcessEnv = process.env, worker = "this worker"): UnitContext {
  const visit = (value: unknown, part: Part, path: Path): unknown => {
    if (isSecretRef(value)) {
      const name = value.$env;
      const v = env[name];
      if (v === undefined || v === "") {
        throw new WorkerSecretError(
          "DIGIT_WORKER_ENV_UNSET",
          `worker ${worker} has no environment variable ${name}, which ${describe(context, part, path)} reads its secret from (the coordinator sends the variable's name, never the key)`,
          `set ${name} where 'digit worker' runs (export ${name}=<the key>, or put it in ./.env), with the same value as on the coordinator, and start the worker again`,
        );
      }
      if (secretFingerprint(v) !== value.fingerprint) {
        throw new WorkerSecretError(
          "DIGIT_WORKER_ENV_MISMATCH",
          `worker ${worker}: ${name} holds another value than on the coordinator (${describe(context, part, path)}); its requests would not count against the same cluster-wide credential limit`,
          `give ${name} the same value on the coordinator and on every worker, and start the worker again`,
        );
      }
      return v;
    }
    if (Array.isArray(value)) return value.map((x, i) => visit(x, part, [...path, i]));
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(value)) out[k] = visit(x, part, [...path, k]);
      return out;
    }
    return value;
  };
  return mapParts(context, visit);
}

/** A context whose config, task specs, runner settings and builder options went through `visit`. */
function mapParts(context: UnitContext, visit: (value: unknown, part: Part, path: Path) => unknown): UnitContext {
  return {
    ...context,
    config: visit(context.config, "config", []) as UnitContext["config"],
    tasks: context.tasks.map((t, i) => ({
      ...t,
      spec: visit(t.spec, "tasks", [i, "spec"]) as UnitContext["tasks"][number]["spec"],
      runnerConfig: visit(t.runnerConfig, "tasks", [i, "runnerConfig"]) as UnitContext["tasks"][number]["runnerConfig"],
    })),
    builderOptions: visit(context.builderOptions, "builderOptions", []) as UnitContext["builderOptions"],
  };
}
