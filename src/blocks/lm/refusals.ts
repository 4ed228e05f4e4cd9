import { EndpointUnusableError } from "../../errors.js";
import type { Failure } from "./retry.js";

/** Requests that must fail for good, all refused and none answered, before a block gives up. */
export const REFUSALS_BEFORE_GIVING_UP = 8;

/**
 * Watches one block's requests for an endpoint that cannot work: every request so far failed for
 * good because nothing answered (connection refused, unknown host) or the server refused it
 * (401, 403, 404), and none was ever answered. Such a run would only burn time and retries, so
 * the block stops it with an error naming the URL, the cause and the fix.
 *
 * @example
 * const refusals = new RefusalWatch();
 * refusals.failed({ kind: "connection", retryable: true, message: "connect ECONNREFUSED 127.0.0.1:11434" });
 * refusals.check({ block: "generator", type: "ollama", url: "http://127.0.0.1:11434" }); // throws after 8 such
 */
export class RefusalWatch {
  private answered = false;
  private refused = 0;
  private last: Failure | undefined;

  /** A request was answered: the endpoint works, whatever happens later. */
  succeeded(): void {
    this.answered = true;
  }

  /** A request failed for good. */
  failed(failure: Failure): void {
    if (this.answered || !isRefusal(failure)) return;
    this.refused++;
    this.last = failure;
  }

  /** Once the block has given up: the failure to give requests not yet sent, instead of sending them. */
  refusal(): Failure | undefined {
    if (!this.gaveUp()) return undefined;
    return { ...this.last!, retryable: false, message: `not sent: ${this.last!.message}` };
  }

  private gaveUp(): boolean {
    return !this.answered && this.refused >= REFUSALS_BEFORE_GIVING_UP && this.last !== undefined;
  }

  /** Throw when the endpoint refused every one of the first requests. */
  check(block: { block: string; type: string; url: string | undefined }): void {
    if (!this.gaveUp()) return;
    const where = block.url ? ` at ${block.url}` : "";
    throw new EndpointUnusableError(
      `block '${block.block}' (type ${block.type}): the endpoint${where} answered none of the first ${this.refused} requests: ${this.last!.message}`,
      { hint: hintFor(this.last!) },
    );
  }
}

function isRefusal(f: Failure): boolean {
  return (
    f.kind === "connection" ||
    (f.kind === "4xx" && (f.status === 401 || f.status === 403 || f.status === 404))
  );
}

function hintFor(f: Failure): string {
  if (f.kind === "connection")
    return "start the server, or point base_url at one that is running (a local Ollama: `ollama serve`)";
  if (f.status === 404)
    return "check base_url (OpenAI-compatible servers usually end in /v1) and model_id_or_path (the model must be served there)";
  return "check the API key: the provider's environment variable (e.g. OPENAI_API_KEY) or api_key in the block config";
}
