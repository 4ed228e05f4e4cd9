import type { Registry } from "../registry/registry.js";
import { isContextAware, type StoreContext } from "./context.js";
import type { Dataloader, DataloaderClass, DataloaderConfig } from "./dataloader.js";
import type { Datastore, DatastoreClass, DatastoreConfig } from "./datastore.js";

/**
 * Construct a datastore by `type` (default `default`), hand it the registry and logger, and clear
 * it when `restart` is set.
 *
 * @example
 * const store = await createDatastore(registry, { type: "default", store_name: "qa/data", output_dir: "output" }, { logger });
 */
export async function createDatastore(
  registry: Registry,
  config: DatastoreConfig,
  context: Omit<StoreContext, "registry"> = {},
): Promise<Datastore> {
  const cls = (await registry.resolve(
    "datastore",
    config.type ?? "default",
  )) as unknown as DatastoreClass;
  const store = new cls(config);
  if (isContextAware(store)) await store.prepare({ ...context, registry });
  if (config.restart) await store.clear();
  return store;
}

/**
 * Construct a dataloader by `type` (default `default`).
 *
 * @example
 * const loader = await createDataloader(registry, { type: "default", datastore: store, loop_over: true });
 */
export async function createDataloader(
  registry: Registry,
  config: DataloaderConfig,
): Promise<Dataloader> {
  const cls = (await registry.resolve(
    "dataloader",
    config.type ?? "default",
  )) as unknown as DataloaderClass;
  return new cls(config);
}
