import { ConfigError } from "digit-sdg";
import type { TaskTools } from "../../../src/tools/build.js";
import type { SearchEngine } from "../../../src/tools/search/engine.js";
import type { StageExtras } from "../../core/conversation/stages/index.js";

/**
 * What the RAG builder hands its stages: the task's tools (registry and the engine that routes
 * calls, for the live assistant) and every search engine of `tools.engines` by name (for the
 * scenario's document samplers).
 *
 * @example
 * const { searchEngines } = ragExtras(extras, "lm/scenario/rag");
 */
export interface RagStageExtras {
  tools: TaskTools;
  searchEngines: ReadonlyMap<string, SearchEngine>;
}

/**
 * The RAG extras, or a ConfigError when the stage runs outside the RAG builder.
 *
 * @example
 * const rag = ragExtras(extras, "lm/assistant/rag");
 */
export function ragExtras(extras: StageExtras, stage: string): RagStageExtras {
  const x = extras.rag as RagStageExtras | undefined;
  if (!x)
    throw new ConfigError(
      `stage '${stage}' runs only in tasks of data_builder public/rag/conversation`,
      { hint: "set data_builder: public/rag/conversation in the task" },
    );
  return x;
}
