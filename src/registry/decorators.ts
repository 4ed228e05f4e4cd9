import { DuplicateNameError, type RegistryKind } from "../errors.js";

/**
 * One name → implementation binding: a class named by a decorator, or (tool loaders, engines,
 * enrichments and samplers) the definition object a `registerTool...` call names.
 */
export interface Registration {
  readonly kind: RegistryKind;
  readonly name: string;
  readonly target: object;
}

type Table = Map<RegistryKind, Map<string, Registration>>;

// Kept on globalThis so that two copies of this module (source and dist, or a plugin that resolved
// the package by another path) still fill one table.
const KEY = Symbol.for("digit.registry.table");
function table(): Table {
  const g = globalThis as { [KEY]?: Table };
  g[KEY] ??= new Map();
  return g[KEY];
}

/** The registration of `name` of `kind`, if its module has been imported. */
export function registered(kind: RegistryKind, name: string): Registration | undefined {
  return table().get(kind)?.get(name);
}

/** Every registration made so far, of one kind. */
export function registeredNames(kind: RegistryKind): string[] {
  return [...(table().get(kind)?.keys() ?? [])];
}

/** Bind `names` to `target`. Registering the same class twice is harmless; another class is an error. */
export function register(
  kind: RegistryKind,
  names: readonly string[],
  target: Registration["target"],
): void {
  let byName = table().get(kind);
  if (!byName) table().set(kind, (byName = new Map()));
  for (const name of names) {
    const existing = byName.get(name);
    const sameClass =
      typeof existing?.target === "function" &&
      typeof target === "function" &&
      existing.target.name === target.name;
    if (existing && existing.target !== target && !sameClass) {
      throw new DuplicateNameError(kind, name, labelOf(existing.target), labelOf(target));
    }
    byName.set(name, { kind, name, target });
  }
}

/** How a duplicate registration names what registered: a class by its name. */
function labelOf(target: object): string {
  return typeof target === "function" ? target.name : "a definition";
}

type ClassDecorator = (
  target: abstract new (...args: never[]) => unknown,
  context?: ClassDecoratorContext,
) => void;

function decorator(kind: RegistryKind, names: readonly string[]): ClassDecorator {
  if (names.length === 0) throw new TypeError(`register${kind}: give at least one name`);
  // Works both as a TC39 standard decorator and as a legacy (experimentalDecorators) one.
  return (target) => register(kind, names, target);
}

/**
 * Register a block class under one or more names (aliases), usable as `type:` in builder YAML.
 *
 * @example
 * @registerBlock("my_org/min_length")
 * export class MinLength extends ValidatorBlock { ... }
 */
export function registerBlock(...names: string[]): ClassDecorator {
  return decorator("block", names);
}

/**
 * Register a databuilder class under the `name` of its builder YAML.
 *
 * @example
 * @registerDataBuilder("public/examples/geography_qa")
 * export class GeographyQA extends GenerationDataBuilder { ... }
 */
export function registerDataBuilder(name: string): ClassDecorator {
  return decorator("databuilder", [name]);
}

/**
 * Register a datastore class, usable as `type:` of a task's `datastore`.
 *
 * @example
 * @registerDatastore("my_store")
 * export class MyStore extends Datastore { ... }
 */
export function registerDatastore(...names: string[]): ClassDecorator {
  return decorator("datastore", names);
}

/**
 * Register a dataloader class, usable as `type:` of a task's `dataloader`.
 *
 * @example
 * @registerDataloader("shuffled")
 * export class ShuffledLoader extends Dataloader { ... }
 */
export function registerDataloader(...names: string[]): ClassDecorator {
  return decorator("dataloader", names);
}

/**
 * Register a formatter class, usable as `type:` of a task's `formatter`.
 *
 * @example
 * @registerFormatter("formatters/upper")
 * export class Upper extends Formatter { ... }
 */
export function registerFormatter(...names: string[]): ClassDecorator {
  return decorator("formatter", names);
}
