import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { AnthropicBatchApi } from "../../blocks/lm/anthropic/batch-api.js";
import { azureClient } from "../../blocks/lm/azure-openai/client.js";
import type { BatchApi } from "../../blocks/lm/batch/api.js";
import {
  BatchJournal,
  batchJournalPath,
  type JournaledBatch,
} from "../../blocks/lm/batch/journal.js";
import { OpenAIBatchApi } from "../../blocks/lm/openai/batch-api.js";
import { DigitError, UsageError } from "../../errors.js";
import { closest } from "../../util/did-you-mean.js";
import { outputWidth, table } from "../text-table.js";

/** The environment variable that holds each batch provider's key. */
const KEY_ENV: Readonly<Record<string, string>> = {
  openai: "OPENAI_API_KEY",
  "azure-openai": "AZURE_OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
};

/**
 * `digit batches list|cancel`: the provider batches digit submitted, from the batch journal
 * (`$DGT_BATCH_JOURNAL`, else `batches.jsonl` in `$DGT_CACHE_DIR`), and cancelling them at the
 * provider (keys from OPENAI_API_KEY, AZURE_OPENAI_API_KEY or ANTHROPIC_API_KEY).
 *
 * @example
 * process.exitCode = await batchesCommand("list", [], {});
 * process.exitCode = await batchesCommand("cancel", ["batch_abc123"], {});
 */
export async function batchesCommand(
  action: string,
  ids: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const file = typeof opts.journal === "string" ? opts.journal : batchJournalPath();
  const journal = BatchJournal.open(file);
  if (action === "list") return list(journal, opts);
  if (action === "cancel") return cancel(journal, ids, opts);
  const near = closest(action, ["list", "cancel"]);
  throw new UsageError(`'${action}' is not a batches action`, {
    hint: `${near ? `did you mean '${near}'? ` : ""}use list or cancel`,
  });
}

/** A batch's state as the journal knows it. */
function stateOf(b: JournaledBatch): string {
  if (b.ended) return b.ended;
  if (b.cancelRequested) return "cancelling";
  return b.batchId ? "submitted" : "unconfirmed";
}

function list(journal: BatchJournal, opts: Record<string, unknown>): number {
  let batches = journal.list();
  if (opts.pending === true) batches = batches.filter((b) => !b.ended);
  if (opts.json === true) {
    for (const b of batches)
      process.stdout.write(
        `${JSON.stringify({ local: b.local, batch_id: b.batchId ?? null, provider: b.provider, endpoint: b.endpoint, model: b.model, block: b.block, requests: b.requests.length, state: stateOf(b), submitted_at: new Date(b.at).toISOString() })}\n`,
      );
    return 0;
  }
  if (batches.length === 0) {
    process.stdout.write(`no batches in ${journal.file}\n`);
    return 0;
  }
  const rows = batches.map((b) => [
    b.batchId ?? b.local,
    b.provider,
    b.model,
    b.block,
    String(b.requests.length),
    stateOf(b),
    new Date(b.at).toISOString().slice(0, 19).replace("T", " "),
  ]);
  process.stdout.write(
    table(["batch", "provider", "model", "block", "requests", "state", "submitted (UTC)"], rows, {
      width: outputWidth(),
      flex: 2,
      minFlex: 10,
    }),
  );
  return 0;
}

async function cancel(
  journal: BatchJournal,
  ids: string[],
  opts: Record<string, unknown>,
): Promise<number> {
  const all = journal.list();
  const targets =
    opts.all === true
      ? all.filter((b) => !b.ended && b.batchId)
      : ids.map((id) => {
          const b = journal.get(id);
          if (!b) {
            const near = closest(
              id,
              all.flatMap((x) => [x.local, ...(x.batchId ? [x.batchId] : [])]),
            );
            throw new UsageError(`no batch '${id}' in ${journal.file}`, {
              hint: near ? `did you mean '${near}'?` : "see `digit batches list`",
            });
          }
          return b;
        });
  if (targets.length === 0)
    throw new UsageError("name the batches to cancel", {
      hint: "digit batches cancel <batch-id...>, or --all for every batch not ended (see `digit batches list`)",
    });
  let failed = 0;
  for (const b of targets) {
    if (!b.batchId) {
      process.stderr.write(
        `${b.local}: the provider never confirmed this batch; nothing to cancel\n`,
      );
      continue;
    }
    try {
      await apiFor(b).cancel(b.batchId);
      journal.cancelRequested(b.local);
      process.stdout.write(
        `${b.batchId}: cancel requested (answers already given are kept; the run's rows without one fail)\n`,
      );
    } catch (e) {
      if (e instanceof DigitError) throw e;
      failed++;
      process.stderr.write(
        `${b.batchId}: the provider refused the cancel: ${(e as Error).message}\n`,
      );
    }
  }
  return failed ? 1 : 0;
}

/** A batch API client for a journaled batch, with the key from the provider's variable. */
function apiFor(b: JournaledBatch): BatchApi {
  const env = KEY_ENV[b.provider];
  if (!env)
    throw new UsageError(
      `batch ${b.batchId} is from provider '${b.provider}', which has no batch API digit knows`,
    );
  const apiKey = process.env[env];
  if (!apiKey)
    throw new UsageError(`cancelling ${b.provider} batch ${b.batchId} needs its API key`, {
      hint: `set ${env}`,
    });
  const common = { apiKey, maxRetries: 2 };
  if (b.provider === "anthropic")
    return new AnthropicBatchApi(new Anthropic({ ...common, baseURL: b.endpoint }));
  if (b.provider === "azure-openai")
    return new OpenAIBatchApi(
      azureClient(b.endpoint, {
        ...common,
        apiVersion: process.env.OPENAI_API_VERSION ?? "2024-10-21",
      }),
      "/chat/completions",
      b.provider,
    );
  return new OpenAIBatchApi(
    new OpenAI({ ...common, baseURL: b.endpoint }),
    "/v1/chat/completions",
    b.provider,
  );
}
