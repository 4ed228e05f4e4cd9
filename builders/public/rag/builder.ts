import {
  ConfigError,
  DataFileError,
  DigitError,
  MissingFileError,
  registerDataBuilder,
  suggestion,
  type Task,
} from "digit-sdg";
import { z } from "zod";
import { positionOf } from "../../../src/config/source-map.js";
import { parseWith } from "../../../src/config/zod-errors.js";
import type { ErrorLocation } from "../../../src/errors.js";
import { ENGINES } from "../../../src/tools/catalog.js";
import { type ToolsSection, toolsSectionSchema } from "../../../src/tools/config.js";
import { SearchEngine } from "../../../src/tools/search/engine.js";
import { isObj, type Row } from "../../../src/util/mapping.js";
import { ConversationDataBuilder, conversationTaskShape } from "../../core/conversation/builder.js";
import type { StageExtras } from "../../core/conversation/stages/index.js";
import type { RagStageExtras } from "./extras.js";
import { DOCUMENT_SAMPLERS } from "./samplers.js";
import "./stages/index.js";

/**
 * DiGiT's `public/rag/conversation`: multi-turn conversations grounded in documents, built by
 * the conversation stages of the task YAML. Static context: `lm/scenario/rag` draws documents
 * from a search engine of `tools.engines` and `lm/assistant/rag/static` answers only from them
 * (each answer checked by a grounding critique); live retrieval: `lm/assistant/rag` searches
 * through the tools of `tools.registry` on every turn. Every search engine is built and its
 * corpus read before the first batch, so a missing or empty corpus, or an unknown engine, fails
 * with the task file and line before any output is written.
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

  protected override async stageExtras(task: Task): Promise<StageExtras> {
    const raw = isObj(task.spec.tools) ? task.spec.tools : undefined;
    const section =
      parseWith(
        z.object({ tools: toolsSectionSchema.optional() }),
        { tools: task.spec.tools },
        `task '${task.name}'`,
        task.file,
      ).tools ?? toolsSectionSchema.parse({});
    checkEngines(task, section, raw);
    checkSamplers(task, section);
    let tools: RagStageExtras["tools"];
    try {
      tools = await this.toolSets.build(task, section, true);
    } catch (e) {
      throw located(e, task, section, raw);
    }
    const searchEngines = new Map<string, SearchEngine>();
    for (const [name, engine] of tools.engines) {
      if (!(engine instanceof SearchEngine)) continue;
      const at = at_(task, engineOf(raw, name), "path");
      let size: number;
      try {
        size = engine.corpus().length;
      } catch (e) {
        throw located(e, task, section, raw, name);
      }
      if (size === 0)
        throw new DataFileError(
          `task '${task.name}' tools.engines.${name}: the corpus '${String(section.engines[name]?.path ?? "")}' has no documents`,
          { ...at, hint: "give the engine a corpus with at least one {id, text} document" },
        );
      searchEngines.set(name, engine);
    }
    const rag: RagStageExtras = { tools, searchEngines };
    return { tools, rag };
  }
}

/** The raw YAML mapping of engine `name` under `tools.engines`, for line numbers. */
function engineOf(raw: Row | undefined, name: string): Row | undefined {
  const engines = raw?.engines;
  return isObj(engines) && isObj(engines[name]) ? engines[name] : undefined;
}

/** File and line of `key` in `obj` (a loaded YAML mapping), else of the task file. */
function at_(task: Task, obj: unknown, key: string): ErrorLocation {
  const pos = obj ? positionOf(obj, key) : undefined;
  return { file: pos?.file ?? task.file, line: pos?.line };
}

/** Engine types must be known before anything is built. */
function checkEngines(task: Task, section: ToolsSection, raw: Row | undefined): void {
  for (const [name, cfg] of Object.entries(section.engines)) {
    if (cfg.type in ENGINES) continue;
    throw new ConfigError(
      `task '${task.name}' tools.engines.${name}: engine type '${cfg.type}' is not known`,
      {
        ...at_(task, engineOf(raw, name), "type"),
        hint: suggestion(cfg.type, Object.keys(ENGINES)),
      },
    );
  }
}

/** Every document sampler must name a known sampler type and a search engine of the task. */
function checkSamplers(task: Task, section: ToolsSection): void {
  const stages = Array.isArray(task.spec.initialization_stages)
    ? task.spec.initialization_stages
    : [];
  const searchNames = Object.entries(section.engines)
    .filter(([, c]) => c.type.startsWith("search/"))
    .map(([n]) => n);
  for (const stage of stages) {
    if (!isObj(stage) || !Array.isArray(stage.document_samplers)) continue;
    for (const [i, entry] of stage.document_samplers.entries()) {
      if (!isObj(entry)) continue;
      const where = `task '${task.name}' ${String(stage.name)} document_samplers[${i}]`;
      const type = String(entry.type ?? "");
      if (!(type in DOCUMENT_SAMPLERS))
        throw new ConfigError(`${where}: document sampler '${type}' is not known`, {
          ...at_(task, entry, "type"),
          hint: suggestion(type, Object.keys(DOCUMENT_SAMPLERS)),
        });
      const engine = String(entry.engine ?? "");
      if (!searchNames.includes(engine))
        throw new ConfigError(
          engine in section.engines
            ? `${where}: engine '${engine}' is a '${section.engines[engine]!.type}' engine, not a search engine`
            : `${where}: search engine '${engine}' is not defined in tools.engines`,
          { ...at_(task, entry, "engine"), hint: suggestion(engine, searchNames) },
        );
    }
  }
}

/**
 * A corpus error (missing or unreadable file) of an engine again, with the line of the engine's
 * `path` and a hint; other errors unchanged.
 */
function located(
  e: unknown,
  task: Task,
  section: ToolsSection,
  raw: Row | undefined,
  name?: string,
): unknown {
  if (!(e instanceof DigitError) || e.line !== undefined) return e;
  const engine =
    name ??
    Object.keys(section.engines).find((n) => e.message.includes(`tools.engines.${n}`)) ??
    Object.keys(section.engines).find((n) => e.message.includes(String(section.engines[n]!.path)));
  if (!engine) return e;
  const where = at_(task, engineOf(raw, engine), "path");
  const prefix = `task '${task.name}' tools.engines.${engine}`;
  if (e instanceof MissingFileError)
    return new MissingFileError(String(section.engines[engine]!.path), `${prefix}: search corpus`, {
      ...where,
      hint: "check the engine's path (and DGT_DATA_DIR when the path uses it)",
    });
  if (e instanceof DataFileError)
    return new DataFileError(`${prefix}: ${e.message}`, {
      ...where,
      hint: "the corpus must be JSONL (one {id, text} object a line) or a JSON list, as `format` says",
    });
  return e;
}
