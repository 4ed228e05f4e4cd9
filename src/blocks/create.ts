import type { z } from "zod";
import { keysInheritedFromOtherType } from "../config/merge.js";
import { positionOf, withoutKeys } from "../config/source-map.js";
import { ConfigError, UnknownNameError } from "../errors.js";
import type { Registry } from "../registry/registry.js";
import type { Row } from "../util/mapping.js";
import { BLOCK_NAME_RULE, checkOutputName } from "../util/output-names.js";
import type { Block, BlockClass, BlockConfigOf, BlockContext } from "./block.js";

/**
 * Check a block config against its type's schema (unknown keys are errors with a suggestion).
 * Returns the block class, the parsed config, and the keys dropped because they were inherited
 * from a block of another type that an override replaced.
 *
 * @example
 * const { cls, config } = await checkBlockConfig(registry, { name: "dedup", type: "rouge_scorer", threshold: 0.7 });
 */
export async function checkBlockConfig(
  registry: Registry,
  raw: Row,
  where = "block config",
): Promise<{ cls: BlockClass; config: BlockConfigOf<z.ZodObject>; dropped: string[] }> {
  const pos = positionOf(raw);
  if (typeof raw.name !== "string" || !raw.name)
    throw new ConfigError(`a block in ${where} has no 'name'`, {
      ...pos,
      hint: "give every block a unique name: 'name: generator'",
    });
  checkOutputName(raw.name, BLOCK_NAME_RULE, pos);
  if (typeof raw.type !== "string" || !raw.type)
    throw new ConfigError(`block '${raw.name}' has no 'type'`, {
      ...pos,
      hint: "set 'type:' to a registered block type (see `digit list blocks`)",
    });
  if ("ray_config" in raw) {
    throw new ConfigError(`block '${raw.name}': ray_config is not supported`, {
      ...positionOf(raw, "ray_config"),
      hint: "remove ray_config; blocks run concurrently already, and `digit run --executor redis://...` scales out",
    });
  }
  const cls = (await registry.resolve("block", raw.type).catch((e: unknown) => {
    if (e instanceof UnknownNameError)
      throw new UnknownNameError(e.kind, e.requested, `block '${raw.name}': ${e.message}`, {
        ...positionOf(raw, "type"),
        hint: e.hint,
      });
    throw e;
  })) as BlockClass;
  const shape = cls.fullConfigSchema().shape;
  // Keys kept from a base block of another type (an override switched `type`) are dropped, not errors.
  const inherited = keysInheritedFromOtherType(raw);
  const dropped = Object.keys(raw).filter(
    (k) => inherited.has(k) && (!(k in shape) || cls.ignoresInheritedKey(k)),
  );
  const input = dropped.length ? withoutKeys(raw, dropped) : raw;
  const config = cls.parseConfig(input);
  return { cls, config, dropped };
}

/**
 * Validate a block config and construct the block.
 *
 * @example
 * const dedup = await createBlock(registry, { name: "dedup", type: "rouge_scorer", filter: true }, ctx);
 */
export async function createBlock(
  registry: Registry,
  raw: Row,
  ctx: BlockContext = {},
  where?: string,
): Promise<Block> {
  const { cls, config } = await checkBlockConfig(registry, raw, where);
  const nested: BlockContext = {
    ...ctx,
    createBlock: (c) => createBlock(registry, c, nested, `nested block of '${config.name}'`),
  };
  const block = new cls(config, nested);
  await block.open();
  return block;
}
