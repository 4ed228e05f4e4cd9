/**
 * Test helper shared by the validator and utility tests: builds blocks through the real registry
 * and collects what they write to the reject store.
 */
import type { Block } from "../../src/blocks/block.js";
import { createBlock } from "../../src/blocks/create.js";
import { Registry } from "../../src/registry/registry.js";
import type { Row } from "../../src/util/mapping.js";

let registry: Promise<Registry> | undefined;

/**
 * Build a block of `type` named `name` from `config`, with a reject sink that records rows.
 *
 * @example
 * const { block, rejects } = await makeBlock("length", { min: 3 });
 */
export async function makeBlock(
  type: string,
  config: Row = {},
  name = "check",
): Promise<{ block: Block; rejects: Row[] }> {
  registry ??= Registry.open();
  const rejects: Row[] = [];
  const block = await createBlock(
    await registry,
    { name, type, ...config },
    { rejects: async (_b, rows) => void rejects.push(...rows) },
  );
  return { block, rejects };
}
