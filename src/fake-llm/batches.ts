/**
 * The batch APIs of the fake LLM server: OpenAI's files and `/v1/batches`, and Anthropic's Message
 * Batches. A batch is answered by the server's own answer logic when it completes (after
 * `completionDelayMs`), with the configured per-request failures, malformed or unknown lines, or
 * an expiry that leaves part of it unanswered.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AZURE_BATCH_ENDPOINTS } from "./azure.js";
import { send } from "./http.js";
import type { FakeBatchOptions, FakeRequest } from "./types.js";

/** What the batch routes need from the server: its answer logic and options. */
export interface BatchHost {
  /** The answer body to one request, as the online route would send it. */
  answer(protocol: FakeRequest["protocol"], path: string, body: Record<string, unknown>): unknown;
  options(): FakeBatchOptions | undefined;
  /** Root URL of the server (Anthropic's `results_url` is absolute). */
  url(): string;
}

/** OpenAI's batch endpoints (what a batch's `endpoint` and its lines' `url` may be). */
const OPENAI_BATCH_ENDPOINTS: readonly string[] = [
  "/v1/chat/completions",
  "/v1/completions",
  "/v1/embeddings",
  "/v1/responses",
];

/** Counters of the batch APIs. */
export interface FakeBatchStats {
  /** Batches created (OpenAI and Anthropic). */
  created: number;
  /** Requests in created batches. */
  requests: number;
  filesUploaded: number;
  /** Batch retrievals (polls). */
  polls: number;
  cancelled: number;
  /** Requests whose `custom_id` an earlier batch already carried (a client that paid twice). */
  resubmitted: number;
  /** Ids of the created batches, in order. */
  ids: string[];
}

interface StoredBatch {
  id: string;
  protocol: "openai" | "anthropic";
  endpoint: string;
  createdAt: number;
  /** `{custom_id, body}` in order. */
  requests: { custom_id: string; body: Record<string, unknown> }[];
  inputFileId?: string | undefined;
  metadata: Record<string, unknown> | null;
  cancelled: boolean;
  /** Filled when the batch ends. */
  ended?: {
    status: "completed" | "expired" | "cancelled";
    at: number;
    outputFileId?: string | undefined;
    errorFileId?: string | undefined;
    lines: string[];
    counts: Record<string, number>;
  };
}

/** Empty counters. */
export function emptyBatchStats(): FakeBatchStats {
  return {
    created: 0,
    requests: 0,
    filesUploaded: 0,
    polls: 0,
    cancelled: 0,
    resubmitted: 0,
    ids: [],
  };
}

/**
 * The batch routes of one server. `handle` answers a request it owns and returns true, or returns
 * false for the server's other routes.
 *
 * @example
 * const batches = new FakeBatches(host);
 * if (await batches.handle(req, res, path, raw)) return;
 */
export class FakeBatches {
  stats: FakeBatchStats = emptyBatchStats();
  private readonly files = new Map<
    string,
    { filename: string; purpose: string; content: string; createdAt: number }
  >();
  private readonly batches = new Map<string, StoredBatch>();
  /** Every `custom_id` submitted since the last reset. */
  private seen = new Set<string>();

  constructor(private readonly host: BatchHost) {}

  /** Forget counters (batches and files stay, as at a real provider). */
  resetStats(): void {
    this.stats = emptyBatchStats();
    this.seen = new Set();
  }

  /**
   * Answer a batch route. `flavor` is "azure" for Azure OpenAI's paths (mapped to these routes by
   * the server), whose batches name Azure's endpoints (`/chat/completions`, no `/v1`).
   */
  handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    raw: string,
    flavor: "openai" | "azure" = "openai",
  ): boolean {
    const method = req.method ?? "GET";
    const opts = this.host.options();
    const isBatchRoute = /^\/v1\/(files|batches|messages\/batches)(\/|$)/.test(path);
    if (!isBatchRoute) return false;
    if (opts?.unsupported) {
      send(res, 404, {
        error: { message: `fake LLM: no route ${method} ${path}`, type: "not_found" },
      });
      return true;
    }
    let m: RegExpMatchArray | null;
    if (method === "POST" && path === "/v1/files") this.upload(req, res, raw);
    else if (method === "GET" && (m = path.match(/^\/v1\/files\/([^/]+)\/content$/)))
      this.fileContent(res, m[1]!);
    else if (method === "GET" && (m = path.match(/^\/v1\/files\/([^/]+)$/)))
      this.fileInfo(res, m[1]!);
    else if (method === "POST" && path === "/v1/batches") this.createOpenAI(res, raw, flavor);
    else if (method === "GET" && path === "/v1/batches")
      send(res, 200, {
        object: "list",
        // Newest first, as the providers list them.
        data: [...this.batches.values()]
          .reverse()
          .filter((b) => b.protocol === "openai")
          .map((b) => this.openaiView(b)),
        has_more: false,
      });
    else if (method === "GET" && (m = path.match(/^\/v1\/batches\/([^/]+)$/)))
      this.retrieve(res, m[1]!, "openai");
    else if (method === "POST" && (m = path.match(/^\/v1\/batches\/([^/]+)\/cancel$/)))
      this.cancel(res, m[1]!, "openai");
    else if (method === "POST" && path === "/v1/messages/batches") this.createAnthropic(res, raw);
    else if (method === "GET" && path === "/v1/messages/batches")
      send(res, 200, {
        // Newest first, as the providers list them.
        data: [...this.batches.values()]
          .reverse()
          .filter((b) => b.protocol === "anthropic")
          .map((b) => this.anthropicView(b)),
        has_more: false,
        first_id: null,
        last_id: null,
      });
    else if (method === "GET" && (m = path.match(/^\/v1\/messages\/batches\/([^/]+)\/results$/)))
      this.anthropicResults(res, m[1]!);
    else if (method === "GET" && (m = path.match(/^\/v1\/messages\/batches\/([^/]+)$/)))
      this.retrieve(res, m[1]!, "anthropic");
    else if (method === "POST" && (m = path.match(/^\/v1\/messages\/batches\/([^/]+)\/cancel$/)))
      this.cancel(res, m[1]!, "anthropic");
    else send(res, 404, { error: { message: `fake LLM: no route ${method} ${path}` } });
    return true;
  }

  private upload(req: IncomingMessage, res: ServerResponse, raw: string) {
    const form = parseMultipart(String(req.headers["content-type"] ?? ""), raw);
    const file = form.get("file");
    if (!file)
      return send(res, 400, {
        error: { message: "multipart field 'file' is missing", type: "invalid_request_error" },
      });
    const id = `file-${randomBytes(8).toString("hex")}`;
    const createdAt = Math.floor(Date.now() / 1000);
    const purpose = form.get("purpose")?.value ?? "batch";
    this.files.set(id, {
      filename: file.filename ?? "upload.jsonl",
      purpose,
      content: file.value,
      createdAt,
    });
    this.stats.filesUploaded++;
    send(res, 200, {
      id,
      object: "file",
      bytes: Buffer.byteLength(file.value),
      created_at: createdAt,
      filename: file.filename ?? "upload.jsonl",
      purpose,
      status: "processed",
    });
  }

  private fileInfo(res: ServerResponse, id: string) {
    const f = this.files.get(id);
    if (!f)
      return send(res, 404, {
        error: { message: `No such File object: ${id}`, type: "invalid_request_error" },
      });
    send(res, 200, {
      id,
      object: "file",
      bytes: Buffer.byteLength(f.content),
      created_at: f.createdAt,
      filename: f.filename,
      purpose: f.purpose,
      status: "processed",
    });
  }

  private fileContent(res: ServerResponse, id: string) {
    const f = this.files.get(id);
    if (!f)
      return send(res, 404, {
        error: { message: `No such File object: ${id}`, type: "invalid_request_error" },
      });
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": Buffer.byteLength(f.content),
    });
    res.end(f.content);
  }

  private createOpenAI(res: ServerResponse, raw: string, flavor: "openai" | "azure") {
    const body = parseJson(raw);
    const fileId = typeof body?.input_file_id === "string" ? body.input_file_id : "";
    const file = this.files.get(fileId);
    if (!body || !file)
      return send(res, 400, {
        error: { message: `input_file_id '${fileId}' not found`, type: "invalid_request_error" },
      });
    const endpoint = String(body.endpoint ?? "");
    const endpoints = flavor === "azure" ? AZURE_BATCH_ENDPOINTS : OPENAI_BATCH_ENDPOINTS;
    if (!endpoints.includes(endpoint))
      return send(res, 400, {
        error: {
          message: `endpoint '${endpoint}' is not supported for batches here (one of ${endpoints.join(", ")})`,
          type: "invalid_request_error",
        },
      });
    const requests: StoredBatch["requests"] = [];
    for (const line of file.content.split("\n")) {
      if (!line.trim()) continue;
      const r = parseJson(line);
      if (!r || typeof r.custom_id !== "string" || !r.body || typeof r.body !== "object")
        return send(res, 400, {
          error: { message: "input file has a malformed line", type: "invalid_request_error" },
        });
      if (r.url !== endpoint)
        return send(res, 400, {
          error: {
            message: `a line's url '${String(r.url)}' is not the batch's endpoint '${endpoint}'`,
            type: "invalid_request_error",
          },
        });
      requests.push({ custom_id: r.custom_id, body: r.body as Record<string, unknown> });
    }
    const batch = this.store(
      "openai",
      endpoint,
      requests,
      (body.metadata as Record<string, unknown> | undefined) ?? null,
    );
    batch.inputFileId = fileId;
    send(res, 200, this.openaiView(batch));
  }

  private createAnthropic(res: ServerResponse, raw: string) {
    const body = parseJson(raw);
    const list = body?.requests;
    if (!Array.isArray(list) || list.length === 0)
      return send(res, 400, {
        type: "error",
        error: { type: "invalid_request_error", message: "requests: a non-empty list is required" },
      });
    const requests = list.map((r) => ({
      custom_id: String((r as { custom_id?: unknown }).custom_id),
      body: ((r as { params?: unknown }).params ?? {}) as Record<string, unknown>,
    }));
    send(res, 200, this.anthropicView(this.store("anthropic", "/v1/messages", requests, null)));
  }

  private store(
    protocol: StoredBatch["protocol"],
    endpoint: string,
    requests: StoredBatch["requests"],
    metadata: StoredBatch["metadata"],
  ): StoredBatch {
    const id =
      protocol === "openai"
        ? `batch_${randomBytes(8).toString("hex")}`
        : `msgbatch_${randomBytes(8).toString("hex")}`;
    const batch: StoredBatch = {
      id,
      protocol,
      endpoint,
      createdAt: Date.now(),
      requests,
      metadata,
      cancelled: false,
    };
    this.batches.set(id, batch);
    this.stats.created++;
    this.stats.requests += requests.length;
    for (const r of requests) {
      if (this.seen.has(r.custom_id)) this.stats.resubmitted++;
      this.seen.add(r.custom_id);
    }
    this.stats.ids.push(id);
    return batch;
  }

  private retrieve(res: ServerResponse, id: string, protocol: StoredBatch["protocol"]) {
    const batch = this.batches.get(id);
    if (!batch || batch.protocol !== protocol) return send(res, 404, notFound(protocol, id));
    this.stats.polls++;
    send(res, 200, protocol === "openai" ? this.openaiView(batch) : this.anthropicView(batch));
  }

  private cancel(res: ServerResponse, id: string, protocol: StoredBatch["protocol"]) {
    const batch = this.batches.get(id);
    if (!batch || batch.protocol !== protocol) return send(res, 404, notFound(protocol, id));
    if (!batch.ended && !batch.cancelled) {
      batch.cancelled = true;
      this.stats.cancelled++;
    }
    send(res, 200, protocol === "openai" ? this.openaiView(batch) : this.anthropicView(batch));
  }

  private anthropicResults(res: ServerResponse, id: string) {
    const batch = this.batches.get(id);
    const ended = batch && this.settle(batch);
    if (!batch || !ended) return send(res, 404, notFound("anthropic", id));
    const text = `${ended.lines.join("\n")}\n`;
    res.writeHead(200, {
      "content-type": "application/binary",
      "content-length": Buffer.byteLength(text),
    });
    res.end(text);
  }

  /** End a batch whose time has come (or that was cancelled): answer its requests once. */
  private settle(batch: StoredBatch): StoredBatch["ended"] {
    if (batch.ended) return batch.ended;
    const opts = this.host.options() ?? {};
    const due = Date.now() - batch.createdAt >= (opts.completionDelayMs ?? 0);
    if (!due && !batch.cancelled) return undefined;
    const status = batch.cancelled ? "cancelled" : opts.expire ? "expired" : "completed";
    // An expired or cancelled batch answered only a part of its requests.
    const answered =
      status === "completed"
        ? batch.requests.length
        : Math.floor(
            batch.requests.length * (status === "expired" ? (opts.expireAnswered ?? 0.5) : 0),
          );
    const ok: string[] = [];
    const errors: string[] = [];
    const counts = { succeeded: 0, errored: 0, expired: 0, canceled: 0 };
    batch.requests.forEach((r, i) => {
      const position = i + 1;
      if (i >= answered) {
        if (status === "expired") counts.expired++;
        else counts.canceled++;
        if (batch.protocol === "anthropic")
          ok.push(
            JSON.stringify({
              custom_id: r.custom_id,
              result: { type: status === "expired" ? "expired" : "canceled" },
            }),
          );
        else
          errors.push(
            JSON.stringify({
              id: `batch_req_${i}`,
              custom_id: r.custom_id,
              response: null,
              error: {
                code: status === "expired" ? "batch_expired" : "batch_cancelled",
                message: `This request could not be executed before the batch ${status === "expired" ? "expired" : "was cancelled"}.`,
              },
            }),
          );
        return;
      }
      if (opts.failEvery && position % opts.failEvery === 0) {
        counts.errored++;
        if (batch.protocol === "anthropic")
          ok.push(
            JSON.stringify({
              custom_id: r.custom_id,
              result: {
                type: "errored",
                error: {
                  type: "error",
                  error: { type: "api_error", message: "Internal server error (injected)" },
                },
              },
            }),
          );
        else
          errors.push(
            JSON.stringify({
              id: `batch_req_${i}`,
              custom_id: r.custom_id,
              response: {
                status_code: 500,
                request_id: `req_${i}`,
                body: {
                  error: { message: "Internal server error (injected)", type: "server_error" },
                },
              },
              error: null,
            }),
          );
        return;
      }
      counts.succeeded++;
      const path = batch.protocol === "anthropic" ? "/v1/messages" : batch.endpoint;
      const answer = this.host.answer(batch.protocol, path, r.body);
      if (batch.protocol === "anthropic")
        ok.push(
          JSON.stringify({
            custom_id: r.custom_id,
            result: { type: "succeeded", message: answer },
          }),
        );
      else
        ok.push(
          JSON.stringify({
            id: `batch_req_${i}`,
            custom_id: r.custom_id,
            response: { status_code: 200, request_id: `req_${i}`, body: answer },
            error: null,
          }),
        );
    });
    const malformed = Math.min(opts.malformedLines ?? 0, ok.length);
    for (let i = 0; i < malformed; i++) ok[i] = '{"custom_id": "broken", "response": {"status_co';
    for (let i = 0; i < (opts.unknownIds ?? 0); i++)
      ok.push(
        JSON.stringify(
          batch.protocol === "anthropic"
            ? { custom_id: `unknown-${i}`, result: { type: "succeeded", message: {} } }
            : {
                id: `x${i}`,
                custom_id: `unknown-${i}`,
                response: { status_code: 200, body: {} },
                error: null,
              },
        ),
      );
    const ended: NonNullable<StoredBatch["ended"]> = {
      status,
      at: Math.floor(Date.now() / 1000),
      lines: ok,
      counts,
    };
    if (batch.protocol === "openai") {
      if (ok.length) ended.outputFileId = this.addFile(`${batch.id}_output.jsonl`, ok);
      if (errors.length) ended.errorFileId = this.addFile(`${batch.id}_error.jsonl`, errors);
    }
    batch.ended = ended;
    return ended;
  }

  private addFile(filename: string, lines: string[]): string {
    const id = `file-${randomBytes(8).toString("hex")}`;
    this.files.set(id, {
      filename,
      purpose: "batch_output",
      content: `${lines.join("\n")}\n`,
      createdAt: Math.floor(Date.now() / 1000),
    });
    return id;
  }

  private openaiView(batch: StoredBatch): Record<string, unknown> {
    const ended = this.settle(batch);
    const created = Math.floor(batch.createdAt / 1000);
    const total = batch.requests.length;
    const status = ended ? ended.status : batch.cancelled ? "cancelling" : "in_progress";
    const failed = ended ? total - ended.counts.succeeded! : 0;
    return {
      id: batch.id,
      object: "batch",
      endpoint: batch.endpoint,
      errors: null,
      input_file_id: batch.inputFileId ?? "",
      completion_window: "24h",
      status,
      output_file_id: ended?.outputFileId ?? null,
      error_file_id: ended?.errorFileId ?? null,
      created_at: created,
      in_progress_at: created,
      expires_at: created + 86_400,
      finalizing_at: ended ? ended.at : null,
      completed_at: ended?.status === "completed" ? ended.at : null,
      failed_at: null,
      expired_at: ended?.status === "expired" ? ended.at : null,
      cancelling_at: batch.cancelled ? created : null,
      cancelled_at: ended?.status === "cancelled" ? ended.at : null,
      request_counts: { total, completed: ended ? ended.counts.succeeded : 0, failed },
      metadata: batch.metadata,
    };
  }

  private anthropicView(batch: StoredBatch): Record<string, unknown> {
    const ended = this.settle(batch);
    const created = new Date(batch.createdAt).toISOString();
    const total = batch.requests.length;
    return {
      id: batch.id,
      type: "message_batch",
      processing_status: ended ? "ended" : batch.cancelled ? "canceling" : "in_progress",
      request_counts: ended
        ? { processing: 0, ...ended.counts }
        : { processing: total, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      created_at: created,
      expires_at: new Date(batch.createdAt + 86_400_000).toISOString(),
      ended_at: ended ? new Date(ended.at * 1000).toISOString() : null,
      archived_at: null,
      cancel_initiated_at: batch.cancelled ? created : null,
      results_url: ended ? `${this.host.url()}/v1/messages/batches/${batch.id}/results` : null,
    };
  }
}

function notFound(protocol: StoredBatch["protocol"], id: string): unknown {
  return protocol === "anthropic"
    ? { type: "error", error: { type: "not_found_error", message: `batch ${id} not found` } }
    : { error: { message: `No batch with id '${id}'`, type: "invalid_request_error" } };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of a `multipart/form-data` body (text parts only, which is all a batch file is). */
function parseMultipart(
  contentType: string,
  raw: string,
): Map<string, { value: string; filename?: string | undefined }> {
  const out = new Map<string, { value: string; filename?: string | undefined }>();
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) return out;
  const marker = `--${boundary[1] ?? boundary[2]}`;
  for (const part of raw.split(marker)) {
    const headerEnd = part.indexOf("\r\n\r\n");
    if (headerEnd < 0) continue;
    const headers = part.slice(0, headerEnd);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) continue;
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    const value = part.slice(headerEnd + 4).replace(/\r\n$/, "");
    out.set(name, { value, filename });
  }
  return out;
}
