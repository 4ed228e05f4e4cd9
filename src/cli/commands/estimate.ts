import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LMProvider } from "../../blocks/lm/provider.js";
import { prepareEnvironment } from "../../config/env.js";
import type { RunOptions } from "../../engine/options.js";
import { planRun } from "../../engine/plan.js";
import { runPlan } from "../../engine/run.js";
import { isDigitError } from "../../errors.js";
import { DEFAULT_SCRIPT, startFakeLLM } from "../../fake-llm/index.js";
import type { FakeRequest } from "../../fake-llm/types.js";
import { silentLogger } from "../../telemetry/logger.js";
import { findPrice, loadPrices } from "../../telemetry/prices.js";
import { thousands } from "../../telemetry/summary.js";
import { isObj, type Row } from "../../util/mapping.js";
import { printError } from "../print-error.js";
import { table } from "../text-table.js";
import { countTokens, tokenizerFor } from "../token-count.js";
import { taskRunOptions } from "./run-options.js";

/** Output tokens assumed per request without an output limit (the high end of the range). */
const DEFAULT_MAX_OUTPUT = 4096;

/** The estimate of one task. */
export interface TaskEstimate {
  task: string;
  records: number;
  requests: number;
  prompt_tokens: number;
  completion_tokens: { low: number; high: number };
  cost_usd: { low: number; high: number } | null;
  /** provider/model pairs without a price. */
  unpriced: string[];
  /** Whether prompt tokens were counted with the model's tokenizer (else approximated). */
  exact_tokens: boolean;
  /** LLM requests per record, and where that figure comes from. */
  calls_per_record: number;
  calls_per_record_from: "pilot" | "declared" | "assumed";
}

/** A model's requests seen in the pilot, with their token counts. */
interface Seen {
  provider: string;
  requests: number;
  prompt: number;
  completionLow: number;
  completionHigh: number;
}

/**
 * `digit estimate <tasks…>` and `digit run --dry-run`: what a run would send and cost, before
 * anything is paid. A pilot of `--pilot` records per task runs the real builders against the fake
 * LLM server and its default script (every LLM block is pointed at it, with its model and
 * parameters), in a temporary folder with no cache; its requests per record and their prompt
 * tokens (counted with the model's tokenizer for OpenAI models, else 4 characters a token) are
 * scaled to the task's `num_outputs_to_generate`. Output tokens are a range: the pilot's answers at the low end, each
 * request's output limit (`max_tokens`, else 4,096) at the high end; money at `data/prices.json`.
 *
 * @example
 * process.exitCode = await estimateCommand(["tasks/qa/task.yaml"], { pilot: 5 });
 */
export async function estimateCommand(
  positional: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  if (typeof opts.dataDir === "string") process.env.DGT_DATA_DIR = opts.dataDir;
  prepareEnvironment(process.cwd());
  try {
    const estimates = await estimate(positional, opts);
    process.stdout.write(
      opts.json === true ? `${JSON.stringify(estimates)}\n` : formatEstimates(estimates),
    );
    return 0;
  } catch (e) {
    if (isDigitError(e)) {
      printError(e.format());
      return 1;
    }
    throw e;
  }
}

/** Run the pilot and scale it up, per task. */
export async function estimate(
  positional: string[],
  opts: Record<string, unknown>,
): Promise<TaskEstimate[]> {
  const cwd = process.cwd();
  const pilot = typeof opts.pilot === "number" ? opts.pilot : 5;
  const base: RunOptions = {
    ...taskRunOptions(positional, opts, cwd),
    seed: typeof opts.seed === "number" ? opts.seed : undefined,
  };
  const plan = await planRun(base);
  // The answers `digit fake-llm` gives: one per bundled builder's prompt, in the shape its parser
  // reads, so the pilot's records (and so its requests per record) are real measurements.
  const fake = await startFakeLLM({ ...DEFAULT_SCRIPT });
  const out = mkdtempSync(join(tmpdir(), "digit-estimate-"));
  const providerOf = new Map<string, string>();
  try {
    /**
     * An LLM block config (found at any depth, so a judge's `lm_config` too) answered by the fake
     * server, with its own model and parameters; other configs as they are.
     */
    const pointAtFake = async (b: Row): Promise<Row> => {
      const out: Row = {};
      for (const [k, v] of Object.entries(b)) out[k] = isObj(v) ? await pointAtFake(v) : v;
      if (typeof b.type !== "string") return out;
      const cls = await plan.registry.resolve("block", b.type).catch(() => undefined);
      if (!cls || !((cls as unknown as { prototype: unknown }).prototype instanceof LMProvider))
        return out;
      const model = String(b.model_id_or_path ?? "mock");
      providerOf.set(model, b.type);
      const {
        api_key: _k,
        base_url: _u,
        lm_cache: _c,
        project_id: _p,
        api_version: _v,
        batch_size: _b,
        ...rest
      } = out;
      return {
        ...rest,
        type: "openai",
        base_url: fake.openaiBaseURL,
        api_key: "sk-estimate",
        model_id_or_path: model,
        cache: false,
      };
    };
    // Every LLM block answers from the fake server, with its own model and parameters.
    for (const group of plan.groups) {
      const blocks = (group.config.blocks as Row[] | undefined) ?? [];
      group.config = {
        ...group.config,
        blocks: await Promise.all(blocks.map((b) => pointAtFake(b))),
      };
      for (const t of group.tasks)
        t.runnerConfig = {
          ...t.runnerConfig,
          num_outputs_to_generate: pilot,
          restart_generation: true,
          output_dir: out,
        };
    }
    const requests: FakeRequest[] = [];
    fake.configure({
      respond: (r) => {
        requests.push(r);
        return undefined as never;
      },
    });
    const result = await runPlan(plan, {
      ...base,
      outputDir: out,
      logger: silentLogger,
      cache: { enabled: false },
    });
    if (result.error !== undefined) throw result.error;
    // Tokens per model from what the fake server saw.
    const perModel = new Map<string, Seen>();
    for (const r of requests) {
      const provider = providerOf.get(r.model) ?? "openai";
      const s = perModel.get(r.model) ?? {
        provider,
        requests: 0,
        prompt: 0,
        completionLow: 0,
        completionHigh: 0,
      };
      s.requests++;
      s.prompt += countTokens(r.model, promptText(r));
      const n = typeof r.body.n === "number" && r.body.n > 1 ? r.body.n : 1;
      const limit = [r.body.max_tokens, r.body.max_completion_tokens].find(
        (v) => typeof v === "number" && v > 0,
      ) as number | undefined;
      s.completionHigh += (limit ?? DEFAULT_MAX_OUTPUT) * n;
      perModel.set(r.model, s);
    }
    // Each task's share of the pilot's requests (the run metrics count requests per task).
    const totalRequests = [...result.metrics.tasks.values()].reduce((s, m) => s + m.requests, 0);
    const prices = loadPrices(cwd);
    const estimates: TaskEstimate[] = [];
    for (const group of plan.groups) {
      for (const t of group.tasks) {
        const name = String(t.spec.task_name);
        const m = result.metrics.task(name);
        const target = Number(
          (t.spec.runner_config as Row | undefined)?.num_outputs_to_generate ??
            base.numOutputsToGenerate ??
            2,
        );
        // Requests per record the builder returned (a fake answer may repeat, so dedup would
        // undercount); declared with --calls-per-record, or 1 when the builder could use none of
        // the fake server's answers.
        const declared = typeof opts.callsPerRecord === "number" ? opts.callsPerRecord : undefined;
        const measured = m.produced > 0 && declared === undefined;
        const perRecord = measured ? m.requests / m.produced : (declared ?? 1);
        const share = totalRequests > 0 ? m.requests / totalRequests : 0;
        // Scale the pilot's requests (and their tokens) to the target's.
        const scale = m.requests > 0 ? (perRecord * target) / m.requests : 0;
        let prompt = 0;
        let low = 0;
        let high = 0;
        let costLow = 0;
        let costHigh = 0;
        const unpriced: string[] = [];
        for (const [model, s] of perModel) {
          const mine = {
            prompt: s.prompt * share * scale,
            low: m.completionTokens * (s.requests / Math.max(1, requests.length)) * scale,
            high: s.completionHigh * share * scale,
          };
          prompt += mine.prompt;
          low += mine.low;
          high += mine.high;
          const price = findPrice(prices, s.provider, model);
          if (!price) unpriced.push(`${s.provider}/${model}`);
          else {
            costLow += (mine.prompt * price.input + mine.low * price.output) / 1e6;
            costHigh += (mine.prompt * price.input + mine.high * price.output) / 1e6;
          }
        }
        estimates.push({
          task: name,
          records: target,
          requests: Math.round(m.requests * scale),
          prompt_tokens: Math.round(prompt),
          completion_tokens: { low: Math.round(low), high: Math.round(high) },
          cost_usd: unpriced.length ? null : { low: round6(costLow), high: round6(costHigh) },
          unpriced,
          exact_tokens: [...perModel.keys()].every((model) => tokenizerFor(model) !== undefined),
          calls_per_record: Math.round(perRecord * 1000) / 1000,
          calls_per_record_from: measured
            ? "pilot"
            : declared !== undefined
              ? "declared"
              : "assumed",
        });
      }
    }
    return estimates;
  } finally {
    await fake.close();
    rmSync(out, { recursive: true, force: true });
  }
}

/** The text a request sends: the prompt, or every message's content. */
function promptText(r: FakeRequest): string {
  const messages = r.body.messages;
  if (Array.isArray(messages))
    return messages
      .map((m: { content?: unknown }) =>
        typeof m?.content === "string" ? m.content : JSON.stringify(m?.content ?? ""),
      )
      .join("\n");
  return r.prompt;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

function formatEstimates(list: TaskEstimate[]): string {
  const usd = (x: number) => (x < 0.01 ? `$${x.toFixed(4)}` : `$${x.toFixed(2)}`);
  const rows = list.map((e) => [
    e.task,
    thousands(e.records),
    `${thousands(e.requests)} (${e.calls_per_record}/record${e.calls_per_record_from === "pilot" ? "" : `, ${e.calls_per_record_from}`})`,
    `${thousands(e.prompt_tokens)}${e.exact_tokens ? "" : " ~"}`,
    `${thousands(e.completion_tokens.low)}–${thousands(e.completion_tokens.high)}`,
    e.cost_usd ? `${usd(e.cost_usd.low)}–${usd(e.cost_usd.high)}` : "n/a",
  ]);
  const out = [
    table(["task", "records", "requests", "tokens in", "tokens out", "cost"], rows).trimEnd(),
  ];
  const unpriced = [...new Set(list.flatMap((e) => e.unpriced))];
  if (unpriced.length)
    out.push(`cost n/a: no price for ${unpriced.join(", ")} (add it to ./digit-prices.json)`);
  for (const e of list) {
    if (e.calls_per_record_from === "assumed")
      out.push(
        `${e.task}: the builder made no record from the fake server's answers, so 1 request per record is assumed; give --calls-per-record <n> to declare it`,
      );
  }
  if (list.some((e) => !e.exact_tokens))
    out.push("~ tokens approximated at 4 characters a token (no tokenizer for the model)");
  out.push(
    "tokens out: the pilot's answers (low) to every request's output limit (high); answers already in the response cache cost nothing",
  );
  return `${out.join("\n")}\n`;
}
