import { ConfigError, DataFileError, DigitError, MissingFileError, suggestion } from "digit-sdg";
import { positionOf } from "../../../src/config/source-map.js";
import type { ErrorLocation } from "../../../src/errors.js";
import { ENGINES } from "../../../src/tools/catalog.js";
import { type ToolsSection, toolsSectionSchema } from "../../../src/tools/config.js";
import { corpusKeys, loadCorpus } from "../../../src/tools/search/document.js";
import { isObj, type Row } from "../../../src/util/mapping.js";
import { DOCUMENT_SAMPLERS } from "./samplers.js";

/** Engine types whose corpus is a local file (read and checked before the run). */
const FILE_ENGINES = new Set(["search/file", "search/in_memory"]);

/**
 * Check a RAG task's tools and samplers before anything is written: every engine type is
 * known; every document sampler names a known type and a search engine of `tools.engines`; every
 * file corpus exists, parses and holds at least one document. Errors name the task file and the
 * line of the offending key, with the closest known name as hint.
 *
 * @example
 * checkRagTask(task.spec, task.file); // throws ConfigError / MissingFileError / DataFileError
 */
export function checkRagTask(spec: Row, file: string | undefined): void {
  const raw = isObj(spec.tools) ? spec.tools : undefined;
  const parsed = toolsSectionSchema.safeParse(spec.tools ?? {});
  if (!parsed.success) return; // the task schema reports it with its own message
  const section = parsed.data;
  const name = String(spec.task_name ?? "?");
  for (const [engine, cfg] of Object.entries(section.engines)) {
    if (!(cfg.type in ENGINES))
      throw new ConfigError(
        `task '${name}' tools.engines.${engine}: engine type '${cfg.type}' is not known`,
        {
          ...at(file, engineOf(raw, engine), "type"),
          hint: suggestion(cfg.type, Object.keys(ENGINES)),
        },
      );
    if (FILE_ENGINES.has(cfg.type)) checkCorpus(name, engine, cfg, file, engineOf(raw, engine));
  }
  checkSamplers(name, spec, section, file);
}

/** The raw YAML mapping of engine `name` under `tools.engines`, for line numbers. */
function engineOf(raw: Row | undefined, name: string): Row | undefined {
  const engines = raw?.engines;
  return isObj(engines) && isObj(engines[name]) ? engines[name] : undefined;
}

/** File and line of `key` in `obj` (a loaded YAML mapping), else the task file alone. */
function at(file: string | undefined, obj: unknown, key: string): ErrorLocation {
  const pos = obj ? positionOf(obj, key) : undefined;
  return { file: pos?.file ?? file, line: pos?.line };
}

/** A file corpus must exist, parse and hold at least one document. */
function checkCorpus(
  task: string,
  engine: string,
  cfg: Row,
  file: string | undefined,
  raw: Row | undefined,
): void {
  const where = at(file, raw, "path");
  const prefix = `task '${task}' tools.engines.${engine}`;
  const keys = {
    path: corpusKeys.path.safeParse(cfg.path),
    format: corpusKeys.format.safeParse(cfg.format),
    projection: corpusKeys.projection.safeParse(cfg.projection),
  };
  if (!keys.path.success || !keys.format.success || !keys.projection.success) return;
  let size: number;
  try {
    size = loadCorpus({
      path: keys.path.data,
      format: keys.format.data,
      projection: keys.projection.data,
    }).length;
  } catch (e) {
    if (e instanceof MissingFileError)
      throw new MissingFileError(keys.path.data, `${prefix}: search corpus`, {
        ...where,
        hint: "check the engine's path (and DGT_DATA_DIR when the path uses it)",
      });
    if (e instanceof DigitError)
      throw new DataFileError(`${prefix}: ${e.message}`, {
        ...where,
        hint: "a corpus is JSONL (one {id, text} object a line) or a JSON list, as `format` says",
      });
    throw e;
  }
  if (size === 0)
    throw new DataFileError(`${prefix}: the corpus '${keys.path.data}' has no documents`, {
      ...where,
      hint: "give the engine a corpus with at least one {id, text} document",
    });
}

/** Every document sampler must name a known sampler type and a search engine of the task. */
function checkSamplers(
  task: string,
  spec: Row,
  section: ToolsSection,
  file: string | undefined,
): void {
  const stages = Array.isArray(spec.initialization_stages) ? spec.initialization_stages : [];
  const searchNames = Object.entries(section.engines)
    .filter(([, c]) => c.type.startsWith("search/"))
    .map(([n]) => n);
  for (const stage of stages) {
    if (!isObj(stage) || !Array.isArray(stage.document_samplers)) continue;
    for (const [i, entry] of stage.document_samplers.entries()) {
      if (!isObj(entry)) continue;
      const where = `task '${task}' ${String(stage.name)} document_samplers[${i}]`;
      const type = String(entry.type ?? "");
      if (!(type in DOCUMENT_SAMPLERS))
        throw new ConfigError(`${where}: document sampler '${type}' is not known`, {
          ...at(file, entry, "type"),
          hint: suggestion(type, Object.keys(DOCUMENT_SAMPLERS)),
        });
      const engine = String(entry.engine ?? "");
      if (!searchNames.includes(engine))
        throw new ConfigError(
          engine in section.engines
            ? `${where}: engine '${engine}' is a '${section.engines[engine]!.type}' engine, not a search engine`
            : `${where}: search engine '${engine}' is not defined in tools.engines`,
          { ...at(file, entry, "engine"), hint: suggestion(engine, searchNames) },
        );
    }
  }
}
