/**
 * Reading Parquet files through a worker thread (`reader-worker.ts`), so that a file that makes
 * the wasm decoder trap fails as a `DataFileError` naming the file and row group instead of
 * ending the process. One worker serves every reader, one request at a time; a trap ends that
 * worker, the request being served fails, and streams of other files resume on a fresh worker at
 * the row they had reached.
 */
import type { Worker } from "node:worker_threads";
import { DataFileError } from "../../../errors.js";
import { startModuleWorker } from "../../../util/module-worker.js";
import { type ParquetReply, type ParquetRequest, READY } from "./reader-protocol.js";

/** The worker died while serving a request (a wasm trap or an out-of-memory abort). */
class DecoderCrash extends Error {}

type Pending = { resolve: (reply: ParquetReply) => void; reject: (e: Error) => void };

/** Distributive Omit: keeps each request variant's own fields. */
type RequestBody = ParquetRequest extends infer R
  ? R extends ParquetRequest
    ? Omit<R, "id">
    : never
  : never;

let worker: Worker | undefined;
/** Bumped whenever a worker is replaced: streams opened on an older one must reopen. */
let generation = 0;
let nextId = 1;
let nextStream = 1;
let pending: Pending | undefined;
let queue: Promise<unknown> = Promise.resolve();

function current(): Worker {
  if (worker) return worker;
  const w = startModuleWorker(import.meta.url, "./reader-worker");
  let ready = false;
  const die = (why: string) => {
    if (worker !== w) return;
    worker = undefined;
    generation++;
    const p = pending;
    pending = undefined;
    // A worker that never loaded says nothing about the file being read: that is digit's fault.
    p?.reject(
      ready
        ? new DecoderCrash(why)
        : new Error(`the Parquet decoder thread could not start: ${why}`),
    );
  };
  w.on("message", (reply: ParquetReply | typeof READY) => {
    if (reply === READY) {
      ready = true;
      return;
    }
    const p = pending;
    pending = undefined;
    p?.resolve(reply);
  });
  w.on("error", (e: Error) => die(e.message));
  w.on("exit", (code) => die(`decoder exited with code ${code}`));
  w.unref();
  worker = w;
  generation++;
  return w;
}

/** Send one request and wait for its reply; requests are served one at a time. */
function ask(body: RequestBody): Promise<ParquetReply> {
  const run = (): Promise<ParquetReply> =>
    new Promise<ParquetReply>((resolve, reject) => {
      const w = current();
      w.ref();
      pending = {
        resolve: (r) => {
          w.unref();
          resolve(r);
        },
        reject: (e) => {
          w.unref();
          reject(e);
        },
      };
      w.postMessage({ ...body, id: nextId++ });
    });
  const result = queue.then(run, run);
  queue = result.catch(() => undefined);
  return result;
}

/** The reply's failure as a DataFileError naming the file. */
function failure(path: string, reply: Extract<ParquetReply, { ok: false }>): DataFileError {
  if (reply.kind === "unreadable")
    return new DataFileError(`cannot read data file: ${reply.message}`, { file: path });
  if (reply.kind === "not-parquet") {
    return new DataFileError(`not a Parquet file (${reply.message.slice(0, 120)})`, {
      file: path,
      hint: "check the file; Parquet files start and end with the bytes PAR1",
    });
  }
  return new DataFileError(`cannot read Parquet file: ${reply.message}`, {
    file: path,
    hint: CORRUPT_HINT,
  });
}

const CORRUPT_HINT =
  "the file is damaged or was not written to the Parquet specification; re-export it (e.g. with pyarrow), or remove it from data_path";

function crashed(path: string, where: string, e: DecoderCrash): DataFileError {
  return new DataFileError(
    `the Parquet decoder failed on this file${where} (${e.message}); the file is corrupt`,
    { file: path, hint: CORRUPT_HINT },
  );
}

/**
 * Rows in a Parquet file, from its footer.
 *
 * @example
 * const n = await countParquetRows("data.parquet");
 */
export async function countParquetRows(path: string): Promise<number> {
  let reply: ParquetReply;
  try {
    reply = await ask({ op: "count", path });
  } catch (e) {
    if (e instanceof DecoderCrash) throw crashed(path, " while reading its footer", e);
    throw e;
  }
  if (!reply.ok) throw failure(path, reply);
  return (reply as { rows: number }).rows;
}

/** Options of `streamParquetIpc`. */
export interface ParquetStreamOptions {
  skip: number;
  limit?: number | undefined;
  batchSize: number;
}

/**
 * The record batches of a Parquet file from row `skip` on, each as Arrow IPC stream bytes.
 *
 * @example
 * for await (const ipc of streamParquetIpc("data.parquet", { skip: 0, batchSize: 10_000 })) tableFromIPC(ipc);
 */
export async function* streamParquetIpc(
  path: string,
  options: ParquetStreamOptions,
): AsyncGenerator<Uint8Array> {
  const stream = nextStream++;
  /** The next row the stream yields, counted from the file's start. */
  let position = options.skip;
  let left = options.limit;
  let groups: number[] = [];
  let openOn = -1;
  const open = async (): Promise<boolean> => {
    let reply: ParquetReply;
    try {
      reply = await ask({
        op: "open",
        stream,
        path,
        skip: position,
        limit: left,
        batchSize: options.batchSize,
      });
    } catch (e) {
      if (e instanceof DecoderCrash) throw crashed(path, " while reading its footer", e);
      throw e;
    }
    if (!reply.ok) throw failure(path, reply);
    const info = reply as { total: number; groups: number[] };
    openOn = generation;
    groups = info.groups;
    return position < info.total;
  };
  try {
    if (!(await open())) return;
    for (;;) {
      if (left !== undefined && left <= 0) return;
      // Another file's trap replaced the worker: reopen this one where it stood.
      if (openOn !== generation && !(await open())) return;
      let reply: ParquetReply;
      try {
        reply = await ask({ op: "next", stream });
      } catch (e) {
        if (e instanceof DecoderCrash)
          throw crashed(path, ` in ${rowGroupAt(groups, position)}`, e);
        throw e;
      }
      if (!reply.ok) throw failure(path, reply);
      const { ipc, rows } = reply as { ipc: Uint8Array | null; rows: number };
      if (ipc === null) return;
      position += rows;
      if (left !== undefined) left -= rows;
      yield ipc;
    }
  } finally {
    if (openOn === generation && worker) void ask({ op: "close", stream }).catch(() => undefined);
  }
}

/** "row group g (rows a–b)" for the row group holding row `row`. */
function rowGroupAt(groups: readonly number[], row: number): string {
  let start = 0;
  for (let g = 0; g < groups.length; g++) {
    const end = start + groups[g]!;
    if (row < end) return `row group ${g} (rows ${start}–${end - 1})`;
    start = end;
  }
  return `the rows from ${row} on`;
}
