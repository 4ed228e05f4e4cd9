/**
 * Worker-thread entry that decodes Parquet files for `reader.ts`. Decoding runs here because
 * parquet-wasm aborts with a WebAssembly trap (`RuntimeError: unreachable`) on some corrupt
 * files, from a callback no caller can catch, and leaves its module instance unusable: in this
 * thread the trap ends only the worker, and the next read starts a fresh one.
 *
 * Requests are answered one at a time, in order; each reply carries the request's `id`.
 */
import { openAsBlob } from "node:fs";
import { parentPort } from "node:worker_threads";
import * as pw from "parquet-wasm";
import { type ParquetReply, type ParquetRequest, READY } from "./reader-protocol.js";

/** An open stream: the file handle (freed on close) and its batch iterator. */
interface OpenStream {
  file: pw.ParquetFile;
  batches: AsyncIterator<pw.RecordBatch>;
}

const streams = new Map<number, OpenStream>();

async function open(path: string): Promise<pw.ParquetFile> {
  let blob: Blob;
  try {
    blob = await openAsBlob(path);
  } catch (e) {
    throw new ReadFailure("unreadable", (e as Error).message);
  }
  try {
    return await pw.ParquetFile.fromFile(blob);
  } catch (e) {
    throw new ReadFailure("not-parquet", messageOf(e));
  }
}

async function handle(req: ParquetRequest): Promise<ParquetReply> {
  switch (req.op) {
    case "count": {
      const file = await open(req.path);
      try {
        return { id: req.id, ok: true, rows: file.metadata().fileMetadata().numRows() };
      } finally {
        file.free();
      }
    }
    case "open": {
      const file = await open(req.path);
      try {
        const meta = file.metadata();
        const total = meta.fileMetadata().numRows();
        const groups = meta.rowGroups().map((g) => g.numRows());
        if (req.skip >= total) {
          file.free();
          return { id: req.id, ok: true, total, groups };
        }
        const options: pw.ReaderOptions = { batchSize: req.batchSize, offset: req.skip };
        if (req.limit !== undefined) options.limit = req.limit;
        const stream = (await file.stream(options)) as unknown as AsyncIterable<pw.RecordBatch>;
        streams.set(req.stream, { file, batches: stream[Symbol.asyncIterator]() });
        return { id: req.id, ok: true, total, groups };
      } catch (e) {
        file.free();
        throw e;
      }
    }
    case "next": {
      const s = streams.get(req.stream);
      if (!s) return { id: req.id, ok: true, ipc: null, rows: 0 };
      const r = await s.batches.next();
      if (r.done) {
        close(req.stream);
        return { id: req.id, ok: true, ipc: null, rows: 0 };
      }
      const rows = r.value.numRows;
      return { id: req.id, ok: true, ipc: r.value.intoIPCStream(), rows };
    }
    case "close":
      close(req.stream);
      return { id: req.id, ok: true };
  }
}

function close(stream: number): void {
  const s = streams.get(stream);
  streams.delete(stream);
  s?.file.free();
}

/** A failure the worker can name (reported to the reader as such). */
class ReadFailure extends Error {
  constructor(
    readonly kind: "unreadable" | "not-parquet",
    message: string,
  ) {
    super(message);
  }
}

function messageOf(e: unknown): string {
  return String((e as Error | undefined)?.message ?? e).slice(0, 200);
}

const port = parentPort;
if (port) {
  let queue: Promise<void> = Promise.resolve();
  port.on("message", (req: ParquetRequest) => {
    queue = queue.then(async () => {
      let reply: ParquetReply;
      try {
        reply = await handle(req);
      } catch (e) {
        reply = {
          id: req.id,
          ok: false,
          kind: e instanceof ReadFailure ? e.kind : "decode",
          message: messageOf(e),
        };
      }
      const transfer = "ipc" in reply && reply.ipc ? [reply.ipc.buffer as ArrayBuffer] : [];
      port.postMessage(reply, transfer);
    });
  });
  port.postMessage(READY);
}
