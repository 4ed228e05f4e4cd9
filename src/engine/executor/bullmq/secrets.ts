import { createHash } from "node:crypto";
import { DigitError } from "../../../errors.js";
import {
  isSecretKey as isSecretName,
  PLACEHOLDER_SECRETS,
  REDACTED,
  redactText,
  secretVariables,
} from "../../../util/redact.js";
import type { UnitContext } from "./protocol.js";

/**
 * Secrets never go to Redis. Before the coordinator stores a builder context, every secret in it
 * is replaced by a reference to the coordinator's environment variable that holds it,
 * `{"$env": "OPENAI_API_KEY", "fingerprint": "…"}`; a secret inside a longer string (a header
 * `Bearer ${TOKEN}`, a URL `https://user:${DB_PASSWORD}@host/v1`, a task spec quoting a key)
 * becomes a template `{"$secret": ["Bearer ", {"$env": "TOKEN", ...}]}`. What counts as a secret
 * is util/redact's rule, the one used for everything written to disk: values of secret-named keys
 * at any depth (api_key, Authorization, X-Auth, Ocp-Apim-Subscription-Key, extra_body's keys,
 * ...), Bearer/Basic tokens, URL userinfo passwords, and the value of any secret-named variable
 * wherever it appears. A worker puts the values of those variables in ITS OWN environment back
 * before it builds the blocks. A secret that no variable holds (written literally in the YAML)
 * refuses the distributed run before anything is enqueued.
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
  constructor(
    code: "DIGIT_WORKER_ENV_UNSET" | "DIGIT_WORKER_ENV_MISMATCH",
    message: string,
    hint: string,
  ) {
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

/**
 * Whether a config key or header name holds a secret (util/redact's rule, shared with everything
 * digit writes to disk).
 *
 * @example
 * isSecretKey("api_key") // true
 * isSecretKey("tokenizer") // false
 */
export const isSecretKey: (name: string) => boolean = isSecretName;

/**
 * Whether a value is a SecretRef.
 *
 * @example
 * isSecretRef({ $env: "OPENAI_API_KEY", fingerprint: "0123456789abcdef" }) // true
 */
export function isSecretRef(value: unknown): value is SecretRef {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.$env === "string" && typeof v.fingerprint === "string" && Object.keys(v).length === 2
  );
}

/** A string holding secrets as stored in Redis: literal text and references, joined by the worker. */
export interface SecretTemplate {
  $secret: (string | SecretRef)[];
}

/**
 * Whether a value is a SecretTemplate.
 *
 * @example
 * isSecretTemplate({ $secret: ["Bearer ", { $env: "TOKEN", fingerprint: "0123456789abcdef" }] }) // true
 */
export function isSecretTemplate(value: unknown): value is SecretTemplate {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    Array.isArray(v.$secret) &&
    Object.keys(v).length === 1 &&
    v.$secret.every((p) => typeof p === "string" || isSecretRef(p))
  );
}

/**
 * The fingerprint of a secret: a salted sha256, shortened (identifies, never reveals, the value).
 *
 * @example
 * secretFingerprint("sk-...") // "3f2a9c01d4e5f6a7"
 */
export function secretFingerprint(value: string): string {
  return createHash("sha256")
    .update("digit-secret-ref\u0000")
    .update(value)
    .digest("hex")
    .slice(0, 16);
}

/** Keys and indexes from a part of a context down to a value. */
type Path = (string | number)[];
/** The parts of a context that may hold secrets. */
type Part = "config" | "tasks" | "builderOptions";

/** Where a path points, for messages: `builder 'b', block 'generator', key lm_config.api_key`. */
function describe(context: UnitContext, part: Part, path: Path): string {
  const keyPath = (p: Path) =>
    p.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
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

/** The variable to refer to for `value`: the provider's own names first, then any standard one, then secret-looking names, then by name. */
function variableHolding(
  value: string,
  blockType: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
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

/** A string split into literal text and references, in order. */
type Pieces = (string | SecretRef)[];

/** `pieces` with every occurrence of `value` in their literal parts replaced by `ref`. */
function substitute(pieces: Pieces, value: string, ref: SecretRef): Pieces {
  return pieces.flatMap((p) => {
    if (typeof p !== "string" || !p.includes(value)) return [p];
    const out: Pieces = [];
    p.split(value).forEach((lit, i) => {
      if (i > 0) out.push(ref);
      if (lit) out.push(lit);
    });
    return out;
  });
}

/** The text of `pieces` with each reference shown as `***`: what must look secret-free to util/redact. */
function skeleton(pieces: Pieces): string {
  return pieces.map((p) => (typeof p === "string" ? p : REDACTED)).join("");
}

/** Shortest value of a variable that is not named like a secret but may hold one (a URL password, a header). */
const MIN_UNNAMED_SECRET = 4;

/**
 * A copy of a builder context in which every secret is a SecretRef (or, inside a longer string, a
 * SecretTemplate) to the variable of `env` that holds it (coordinator side, before the context
 * goes to Redis). Throws SecretNotInEnvError naming the builder, block and key when a secret is
 * in no variable.
 *
 * @example
 * const stored = referSecrets(context); // blocks[0].api_key → { $env: "OPENAI_API_KEY", fingerprint: "…" }
 */
export function referSecrets(
  context: UnitContext,
  env: NodeJS.ProcessEnv = process.env,
): UnitContext {
  // Longest first: a secret containing another is referred to whole.
  const named = secretVariables(env).sort(([, a], [, b]) => b.length - a.length);
  const unnamed = Object.entries(env)
    .filter(
      (e): e is [string, string] =>
        typeof e[1] === "string" &&
        e[1].length >= MIN_UNNAMED_SECRET &&
        !PLACEHOLDER_SECRETS.has(e[1]),
    )
    .sort(([, a], [, b]) => b.length - a.length);
  const refTo = (value: string, blockType: string | undefined): SecretRef => ({
    $env: variableHolding(value, blockType, env)!,
    fingerprint: secretFingerprint(value),
  });

  const referString = (
    value: string,
    part: Part,
    path: Path,
    blockType: string | undefined,
    secretKey: boolean,
  ): unknown => {
    const clean = (p: Pieces) => redactText(skeleton(p), [], secretKey) === skeleton(p);
    let pieces: Pieces = [value];
    // The value of every secret-named variable, wherever it appears.
    for (const [, v] of named) pieces = substitute(pieces, v, refTo(v, blockType));
    if (!clean(pieces)) {
      // A secret shape (a URL password, a Bearer token, an auth header's value) still literal: it
      // may be the value of a variable not named like a secret (base_url: https://u:${PW}@h).
      const redacted = redactText(skeleton(pieces), [], secretKey);
      for (const [, v] of unnamed)
        if (skeleton(pieces).includes(v) && !redacted.includes(v))
          pieces = substitute(pieces, v, refTo(v, blockType));
    }
    if (!clean(pieces)) {
      const key = String(path[path.length - 1]);
      if (secretKey) {
        const suggested = suggestedVariable(blockType);
        throw new SecretNotInEnvError(
          `${describe(context, part, path)}: the secret is written in the config, not taken from an environment variable; a distributed run never writes secrets to Redis, so workers must read it from their own environment`,
          `put the key in an environment variable set on the coordinator and on every worker, and refer to it: ${key}: \${${suggested}} (export ${suggested}=<your key>, or put it in ./.env)`,
        );
      }
      throw new SecretNotInEnvError(
        `${describe(context, part, path)}: the value holds a secret (a URL password, a Bearer/Basic token or a secret query parameter) written in the config, not taken from an environment variable; a distributed run never writes secrets to Redis, so workers must read it from their own environment`,
        `put the secret in an environment variable set on the coordinator and on every worker and write it as \${VAR} inside the value, e.g. https://user:\${DB_PASSWORD}@host/v1 or Bearer \${API_TOKEN}`,
      );
    }
    if (pieces.length === 1 && typeof pieces[0] === "string") return value;
    if (pieces.length === 1) return pieces[0];
    return { $secret: pieces } satisfies SecretTemplate;
  };

  const visit = (
    value: unknown,
    part: Part,
    path: Path,
    blockType: string | undefined,
    secretKey: boolean,
  ): unknown => {
    if (typeof value === "string") return referString(value, part, path, blockType, secretKey);
    if (Array.isArray(value))
      return value.map((v, i) => visit(v, part, [...path, i], blockType, secretKey));
    if (value && typeof value === "object") {
      if (isSecretRef(value) || isSecretTemplate(value)) return value;
      const obj = value as Record<string, unknown>;
      const type = typeof obj.type === "string" ? obj.type : blockType;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj))
        out[k] = visit(v, part, [...path, k], type, secretKey || isSecretKey(k));
      return out;
    }
    return value;
  };

  return mapParts(context, (value, part, path) => visit(value, part, path, undefined, false));
}

/**
 * A copy of a stored builder context with every SecretRef replaced by the value of its variable
 * in `env`, and every SecretTemplate by its text with those values put in (worker side, in
 * memory only). Throws WorkerSecretError naming the variable, the
 * builder and the block when the variable is unset or empty here, or holds another value than
 * on the coordinator.
 *
 * @example
 * const context = resolveSecrets(JSON.parse(raw) as UnitContext, process.env, "host:4242");
 */
export function resolveSecrets(
  context: UnitContext,
  env: NodeJS.ProcessEnv = process.env,
  worker = "this worker",
): UnitContext {
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
    if (isSecretTemplate(value))
      return value.$secret
        .map((p) => (typeof p === "string" ? p : (visit(p, part, path) as string)))
        .join("");
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
function mapParts(
  context: UnitContext,
  visit: (value: unknown, part: Part, path: Path) => unknown,
): UnitContext {
  return {
    ...context,
    config: visit(context.config, "config", []) as UnitContext["config"],
    tasks: context.tasks.map((t, i) => ({
      ...t,
      spec: visit(t.spec, "tasks", [i, "spec"]) as UnitContext["tasks"][number]["spec"],
      runnerConfig: visit(t.runnerConfig, "tasks", [
        i,
        "runnerConfig",
      ]) as UnitContext["tasks"][number]["runnerConfig"],
    })),
    builderOptions: visit(
      context.builderOptions,
      "builderOptions",
      [],
    ) as UnitContext["builderOptions"],
  };
}
