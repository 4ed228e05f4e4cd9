import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { ConfigError, type RegistryKind, UnknownNameError } from "../errors.js";
import { closest, suggestion } from "../util/did-you-mean.js";
import { filesBelow } from "../util/files-below.js";
import { type Registration, registered, registeredNames } from "./decorators.js";
import { loadModule } from "./load-module.js";
import { PACKAGE_ROOT, packageNamespaces, packageSourceRoots } from "./package-root.js";
import { type IndexEntry, type SourceRoot, scanRoots } from "./scan.js";
import { readScanCache } from "./scan-cache.js";
import { unsupportedBuilderError } from "./unsupported-builders.js";

/** Where to look for builders and plugins, and which namespaces are on. */
export interface RegistryOptions {
  /** Namespaces to enable besides `core` and the user's plugins (e.g. ["public"]). */
  namespaces?: readonly string[];
  /** Extra plugin folders; `<cwd>/plugins` is always included when it exists. */
  pluginDirs?: readonly string[];
  /** Extra builder YAML files or folders (DiGiT's --include-builder-paths). */
  builderPaths?: readonly string[];
  cwd?: string;
}

/** A builder YAML found on disk. */
export interface BuilderYamlEntry {
  readonly name: string;
  readonly file: string;
  readonly namespace: string;
}

/** Namespace of user plugin folders: always enabled. */
export const USER_NAMESPACE = "user";
const PLUGIN_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"] as const;
const KIND_LABEL: Record<RegistryKind, string> = {
  databuilder: "data builder",
  block: "block",
  datastore: "datastore",
  dataloader: "dataloader",
  formatter: "formatter",
  tool_loader: "tool loader",
  tool_engine: "tool engine",
  tool_enrichment: "tool enrichment",
  tool_sampler: "tool sampler",
};

/**
 * Name → implementation lookup over every registered builder, block, datastore, dataloader and
 * formatter. It reads source files as text to learn which file registers which name and imports a
 * module only when one of its names is first asked for.
 *
 * @example
 * const registry = await Registry.open({ namespaces: ["public"] });
 * const Rouge = await registry.resolve("block", "rouge_scorer");
 */
export class Registry {
  readonly namespaces: ReadonlySet<string>;
  readonly availableNamespaces: readonly string[];
  private readonly index: readonly IndexEntry[];
  private readonly builders: ReadonlyMap<string, BuilderYamlEntry>;

  private constructor(
    namespaces: Set<string>,
    available: string[],
    index: IndexEntry[],
    builders: Map<string, BuilderYamlEntry>,
  ) {
    this.namespaces = namespaces;
    this.availableNamespaces = available;
    this.index = index;
    this.builders = builders;
  }

  /** Scan the package and the plugin folders. Nothing is imported. */
  static async open(options: RegistryOptions = {}): Promise<Registry> {
    const cwd = options.cwd ?? process.cwd();
    const available = packageNamespaces();
    const enabled = new Set(["core", USER_NAMESPACE]);
    for (const ns of options.namespaces ?? []) {
      if (!available.includes(ns)) {
        throw new ConfigError(`namespace '${ns}' does not exist`, {
          hint: `${closest(ns, available) ? `did you mean '${closest(ns, available)}'? ` : ""}known namespaces: ${available.join(", ")}`,
        });
      }
      enabled.add(ns);
    }
    const userDirs = pluginDirs(cwd, options.pluginDirs ?? []);
    const roots: SourceRoot[] = packageSourceRoots(available);
    for (const dir of userDirs)
      roots.push({ dir, namespace: USER_NAMESPACE, extensions: PLUGIN_EXTENSIONS });
    const index = await scanRoots(roots, readScanCache());
    const builders = await indexBuilderYamls(
      available,
      userDirs,
      (options.builderPaths ?? []).map((p) => resolve(cwd, p)),
    );
    return new Registry(
      enabled,
      ["core", ...available.filter((n) => n !== "core")],
      index,
      builders,
    );
  }

  /** Registrations the scan found, enabled or not (for `digit list`). */
  entries(kind?: RegistryKind): IndexEntry[] {
    return this.index.filter((e) => kind === undefined || e.kind === kind);
  }

  /** Names of `kind` that can be used with the enabled namespaces. */
  knownNames(kind: RegistryKind): string[] {
    const names = new Set(registeredNames(kind));
    for (const e of this.index)
      if (e.kind === kind && this.namespaces.has(e.namespace)) names.add(e.name);
    return [...names].sort();
  }

  /** True if `name` of `kind` exists in an enabled namespace (without importing it). */
  has(kind: RegistryKind, name: string): boolean {
    return (
      registered(kind, name) !== undefined ||
      this.index.some((e) => e.kind === kind && e.name === name && this.namespaces.has(e.namespace))
    );
  }

  /**
   * The class registered as `name`, importing the module that registers it on first use.
   * Throws an UnknownNameError listing the known names and the closest one.
   */
  async resolve(kind: RegistryKind, name: string): Promise<Registration["target"]> {
    const ready = registered(kind, name);
    if (ready) return ready.target;
    const hits = this.index.filter((e) => e.kind === kind && e.name === name);
    const usable = hits.filter((e) => this.namespaces.has(e.namespace));
    if (usable.length === 0) throw this.unknown(kind, name, hits);
    for (const e of usable) await loadModule(e.file);
    const now = registered(kind, name);
    if (!now) {
      throw new UnknownNameError(
        kind,
        name,
        `'${relative(process.cwd(), usable[0]!.file)}' mentions ${KIND_LABEL[kind]} '${name}' but did not register it when imported`,
        {
          file: usable[0]!.file,
          hint: kind.startsWith("tool_")
            ? `call register${toolFunction(kind)}("${name}", ...) at the top level of the module`
            : `decorate the exported class with @register...("${name}") at the top level of the module`,
        },
      );
    }
    return now.target;
  }

  /** The builder YAML for a builder name (with a namespace hint when its namespace is off). */
  builderYaml(name: string): BuilderYamlEntry {
    const entry = this.builders.get(name);
    if (entry && this.namespaces.has(entry.namespace)) return entry;
    if (entry) throw namespaceOff("databuilder", name, entry.namespace);
    const unsupported = unsupportedBuilderError(name);
    if (unsupported) throw unsupported;
    const known = [...this.builders.values()]
      .filter((b) => this.namespaces.has(b.namespace))
      .map((b) => b.name);
    throw new UnknownNameError("databuilder", name, `no data builder named '${name}'`, {
      hint: suggestion(name, known),
    });
  }

  /** Every builder YAML found (for `digit list builders`). */
  builderYamls(): BuilderYamlEntry[] {
    return [...this.builders.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private unknown(kind: RegistryKind, name: string, disabledHits: IndexEntry[]): UnknownNameError {
    const off = disabledHits[0];
    if (off) return namespaceOff(kind, name, off.namespace);
    return new UnknownNameError(kind, name, `no ${KIND_LABEL[kind]} named '${name}'`, {
      hint: suggestion(name, this.knownNames(kind)),
    });
  }
}

function namespaceOff(kind: RegistryKind, name: string, namespace: string): UnknownNameError {
  return new UnknownNameError(
    kind,
    name,
    `${KIND_LABEL[kind]} '${name}' is in namespace '${namespace}', which is not enabled`,
    {
      hint: `add --include-namespaces ${namespace}`,
    },
  );
}

/** `<cwd>/plugins` (always the user's, in a clone of digit too) plus explicit plugin folders. */
function pluginDirs(cwd: string, extra: readonly string[]): string[] {
  const dirs: string[] = [];
  const defaultDir = resolve(cwd, "plugins");
  if (existsSync(defaultDir)) dirs.push(defaultDir);
  for (const d of extra) {
    const abs = resolve(cwd, d);
    if (!existsSync(abs))
      throw new ConfigError(`plugin folder '${d}' does not exist`, {
        hint: "pass an existing folder to --plugin-dir",
      });
    if (!dirs.includes(abs)) dirs.push(abs);
  }
  return dirs;
}

const NAME_LINE = /^name:\s*["']?([^"'#\n]+?)["']?\s*(?:#.*)?$/m;

const isBuilderYaml = (name: string) => name === "builder.yaml";

async function indexBuilderYamls(
  namespaces: readonly string[],
  userDirs: readonly string[],
  extra: readonly string[],
): Promise<Map<string, BuilderYamlEntry>> {
  const found = new Map<string, BuilderYamlEntry>();
  const add = async (files: string[], namespace: string) => {
    for (const file of files.sort()) {
      const m = NAME_LINE.exec(await readFile(file, "utf8").catch(() => ""));
      if (m) found.set(m[1]!.trim(), { name: m[1]!.trim(), file, namespace });
    }
  };
  for (const ns of namespaces) {
    const dir = join(PACKAGE_ROOT, "builders", ns);
    if (existsSync(dir)) await add(filesBelow(dir, isBuilderYaml), ns);
  }
  for (const dir of userDirs) await add(filesBelow(dir, isBuilderYaml), USER_NAMESPACE);
  for (const p of extra) {
    if (!existsSync(p))
      throw new ConfigError(`builder path '${p}' does not exist`, {
        hint: "check --include-builder-paths",
      });
    const files = statSync(p).isDirectory() ? filesBelow(p, (name) => /\.ya?ml$/.test(name)) : [p];
    await add(files, USER_NAMESPACE);
  }
  return found;
}

/** The function that registers a tool kind, without its `register` prefix. */
function toolFunction(kind: RegistryKind): string {
  return kind
    .split("_")
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}
