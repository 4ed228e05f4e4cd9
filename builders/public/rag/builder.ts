import { registerDataBuilder, type Task } from "digit-sdg";
import { z } from "zod";
import { parseWith } from "../../../src/config/zod-errors.js";
import type { Registry } from "../../../src/registry/registry.js";
import { toolsSectionSchema } from "../../../src/tools/config.js";
import { SearchEngine } from "../../../src/tools/search/engine.js";
import type { Row } from "../../../src/util/mapping.js";
import { ConversationDataBuilder, conversationTaskShape } from "../../core/conversation/builder.js";
import type { StageExtras } from "../../core/conversation/stages/index.js";
import { checkRagTask } from "./checks.js";
import type { RagStageExtras } from "./extras.js";
import { ragMetrics } from "./metrics.js";
import "./stages/index.js";

/**
 * DiGiT's `public/rag/conversation`: multi-turn conversations grounded in documents, built by
 * the conversation stages of the task YAML. Static context: `lm/scenario/rag` draws documents
 * from a search engine of `tools.engines` and `lm/assistant/rag/static` answers only from them
 * (each answer checked by a grounding critique); live retrieval: `lm/assistant/rag` searches
 * through the tools of `tools.registry` on every turn. Engine types, sampler references and
 * file corpora are checked while the run is planned, so a missing or empty corpus or an unknown
 * engine fails with the task file and line before any output is written.
 *
 * @example
 * # task.yaml
 * data_builder: public/rag/conversation
 * tools: { engines: { docs: { type: search/file, path: data/docs.jsonl } } }
 * initialization_stages:
 *   - { name: lm/scenario/rag, document_samplers: [{ type: search/random, engine: docs }], k: 3 }
 * iteration_stages:
 *   - { name: lm/flow_controller/rag, patterns: [...], termination_patterns: [rag/termination] }
 *   - { name: lm/user/rag }
 *   - { name: lm/assistant/rag/static, max_retries: 3 }
 */
@registerDataBuilder("public/rag/conversation")
export class RagConversationDataBuilder extends ConversationDataBuilder {
  static override taskSchema = z.object(conversationTaskShape);

  /** Engine types, sampler references and corpus files, checked while the run is planned. */
  static override async checkTask(
    spec: Row,
    file: string | undefined,
    config: Row,
    registry?: Registry,
  ): Promise<void> {
    checkRagTask(spec, file);
    await super.checkTask(spec, file, config, registry);
  }

  protected override async stageExtras(task: Task): Promise<StageExtras> {
    const section =
      parseWith(
        z.object({ tools: toolsSectionSchema.optional() }),
        { tools: task.spec.tools },
        `task '${task.name}'`,
        task.file,
      ).tools ?? toolsSectionSchema.parse({});
    const tools = await this.toolSets.build(task, section, true);
    const searchEngines = new Map<string, SearchEngine>();
    for (const [name, engine] of tools.engines)
      if (engine instanceof SearchEngine) searchEngines.set(name, engine);
    const rag: RagStageExtras = { tools, searchEngines };
    return { tools, rag };
  }

  /** DiGiT's RAG metrics of the task's final conversations (see `ragMetrics`). */
  override async taskMetrics(task: Task): Promise<Row> {
    const records: Row[] = [];
    for await (const r of task.readAccepted(task.finalCount())) records.push(r);
    let corpus = 0;
    for (const engine of this.toolSets.of(task.name)?.engines.values() ?? [])
      if (engine instanceof SearchEngine) corpus += engine.corpus().length;
    return ragMetrics(records, corpus);
  }
}
