import type { Registry } from "../registry/registry.js";
import { ConsoleLogger, type Logger } from "../telemetry/logger.js";

/**
 * What `createDatastore` hands a store after constructing it: the registry (so a store can build
 * child stores by type) and the logger for warnings.
 *
 * @example
 * await createDatastore(registry, config, { logger });
 */
export interface StoreContext {
  registry?: Registry | undefined;
  logger?: Logger | undefined;
}

/** A store that wants the context. */
export interface ContextAware {
  prepare(context: StoreContext): void | Promise<void>;
}

/** True if `store` has a `prepare(context)` hook. */
export function isContextAware(store: unknown): store is ContextAware {
  return typeof (store as Partial<ContextAware> | null)?.prepare === "function";
}

/** Where store warnings go when no logger was given: stderr, at warn level. */
export const defaultStoreLogger: Logger = new ConsoleLogger("warn");
