import { resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../../errors.js";
import { registerDatastore, registered } from "../../registry/decorators.js";
import type { Logger } from "../../telemetry/logger.js";
import type { Row } from "../../util/mapping.js";
import { checkOwnFolder } from "../../util/output-names.js";
import { defaultStoreLogger, isContextAware, type StoreContext } from "../context.js";
import {
  Datastore,
  type DatastoreClass,
  type DatastoreConfig,
  datastoreConfigShape,
  type RowSource,
} from "../datastore.js";

/**
 * Writes to a `primary` store and, best effort, to `additional` stores; reads from the primary.
 * Each child is configured as `{...the outer config, ...its own}` and must have a `type`; the
 * task-derived `store_name` always wins, so a task's stores never collapse into one file.
 * A child's own `output_dir` may be absolute (taken as written); a relative one must not climb
 * out of the working directory with `..`.
 * Unlike DiGiT, `sources()` work (final and formatted data are produced) and a stream given to
 * `replace` reaches every target (it is buffered once, then written to each).
 *
 * @example
 * datastore:
 *   type: multi_target
 *   primary: { type: default }
 *   additional:
 *     - { type: default, output_data_format: parquet, output_dir: exports }
 */
@registerDatastore("multi_target")
export class MultiTargetDatastore extends Datastore {
  static override configSchema: z.ZodObject = z.object({
    ...datastoreConfigShape,
    primary: z
      .looseObject({ type: z.string() })
      .describe("The store written first and read from: a datastore mapping with its own type"),
    additional: z
      .array(z.looseObject({ type: z.string() }))
      .default([])
      .describe("Stores also written, best effort (a failure is logged, not fatal)"),
  });
  private children: { primary: Datastore; additional: Datastore[] } | undefined;
  private logger: Logger = defaultStoreLogger;
  private context: StoreContext = {};

  constructor(config: DatastoreConfig) {
    super(config);
    childConfigs(config); // validate now, construct in prepare() or on first use
  }

  async prepare(context: StoreContext): Promise<void> {
    this.context = context;
    if (context.logger) this.logger = context.logger;
    await this.stores();
  }

  get location(): string {
    return this.children?.primary.location ?? `multi_target '${this.config.store_name}'`;
  }

  async exists(): Promise<boolean> {
    return (await this.stores()).primary.exists();
  }

  async sources(): Promise<RowSource[]> {
    return (await this.stores()).primary.sources();
  }

  async append(rows: readonly Row[]): Promise<void> {
    const { primary, additional } = await this.stores();
    await primary.append(rows);
    await this.secondary(additional, "append", (s) => s.append(rows));
  }

  async replace(rows: Iterable<Row> | AsyncIterable<Row>): Promise<void> {
    const { primary, additional } = await this.stores();
    if (additional.length === 0) return primary.replace(rows);
    // A stream can be consumed once: materialise it (replace feeds snapshots and final data,
    // which a task holds in memory anyway), then write it to every target.
    const all: Row[] = [];
    for await (const r of rows) all.push(r);
    await primary.replace(all);
    await this.secondary(additional, "replace", (s) => s.replace(all));
  }

  async truncate(count: number): Promise<void> {
    const { primary, additional } = await this.stores();
    await primary.truncate(count);
    await this.secondary(additional, "truncate", (s) => s.truncate(count));
  }

  async clear(): Promise<void> {
    const { primary, additional } = await this.stores();
    await primary.clear();
    await this.secondary(additional, "clear", (s) => s.clear());
  }

  override async close(): Promise<void> {
    if (!this.children) return;
    await this.children.primary.close();
    await this.secondary(this.children.additional, "close", (s) => s.close());
  }

  /** The child stores (constructed on first use). */
  async stores(): Promise<{ primary: Datastore; additional: Datastore[] }> {
    if (!this.children) {
      const { primary, additional } = childConfigs(this.config);
      const make = async (c: DatastoreConfig) => {
        const cls = await this.classFor(c.type);
        const store = new cls(c);
        if (isContextAware(store)) await store.prepare(this.context);
        return store;
      };
      const p = await make(primary);
      const a: Datastore[] = [];
      for (const c of additional) a.push(await make(c));
      const seen = new Map<string, number>();
      [p, ...a].forEach((s, i) => {
        const where = resolve(s.location);
        if (seen.has(where) && s.location !== "inline data") {
          throw new ConfigError(
            `multi_target '${this.config.store_name}': targets ${seen.get(where)} and ${i} both write ${s.location}`,
            {
              hint: "give the additional target another output_dir or output_data_format",
            },
          );
        }
        seen.set(where, i);
      });
      this.children = { primary: p, additional: a };
    }
    return this.children;
  }

  private async classFor(type: string): Promise<DatastoreClass> {
    if (this.context.registry)
      return (await this.context.registry.resolve("datastore", type)) as unknown as DatastoreClass;
    const known = registered("datastore", type);
    if (known) return known.target as unknown as DatastoreClass;
    if (type === "default") return (await import("../default/index.js")).DefaultDatastore;
    throw new ConfigError(
      `multi_target '${this.config.store_name}': datastore type '${type}' is not loaded`,
      {
        hint: "create the store with createDatastore(registry, config) so that child types can be resolved",
      },
    );
  }

  private async secondary(
    stores: Datastore[],
    what: string,
    op: (s: Datastore) => Promise<void>,
  ): Promise<void> {
    for (const s of stores) {
      try {
        await op(s);
      } catch (e) {
        this.logger.warn(
          `multi_target '${this.config.store_name}': ${what} on additional target ${s.location} failed: ${(e as Error).message}`,
        );
      }
    }
  }
}

function childConfigs(config: DatastoreConfig): {
  primary: DatastoreConfig;
  additional: DatastoreConfig[];
} {
  const { primary, additional, type: _type, ...outer } = config;
  const child = (c: unknown, what: string): DatastoreConfig => {
    if (typeof c !== "object" || c === null || Array.isArray(c))
      throw new ConfigError(
        `multi_target '${config.store_name}': ${what} must be a datastore mapping`,
      );
    const cfg = c as Record<string, unknown>;
    if (typeof cfg.type !== "string" || !cfg.type) {
      throw new ConfigError(`multi_target '${config.store_name}': ${what} has no 'type'`, {
        hint: "add type: default (or another datastore type)",
      });
    }
    if (typeof cfg.output_dir === "string")
      checkOwnFolder(cfg.output_dir, `multi_target '${config.store_name}': output_dir of ${what}`);
    return { ...outer, ...cfg, store_name: config.store_name, type: cfg.type } as DatastoreConfig;
  };
  if (primary === undefined)
    throw new ConfigError(`multi_target '${config.store_name}': 'primary' is required`, {
      hint: "add primary: { type: default }",
    });
  if (additional !== undefined && !Array.isArray(additional))
    throw new ConfigError(`multi_target '${config.store_name}': 'additional' must be a list`);
  return {
    primary: child(primary, "primary"),
    additional: ((additional as unknown[] | undefined) ?? []).map((c, i) =>
      child(c, `additional[${i}]`),
    ),
  };
}
