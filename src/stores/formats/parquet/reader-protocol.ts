/**
 * Messages between `reader.ts` and the Parquet decoding worker (`reader-worker.ts`).
 * Private to the Parquet format.
 */

/** What the reader asks the worker. `stream` names an open stream; `id` pairs a reply with its request. */
export type ParquetRequest =
  | { id: number; op: "count"; path: string }
  | {
      id: number;
      op: "open";
      stream: number;
      path: string;
      skip: number;
      limit?: number | undefined;
      batchSize: number;
    }
  | { id: number; op: "next"; stream: number }
  | { id: number; op: "close"; stream: number };

/** Why a request failed in the worker: the file could not be read, is not Parquet, or failed to decode. */
export type ParquetFailureKind = "unreadable" | "not-parquet" | "decode";

/** The worker's answer to one request. */
export type ParquetReply =
  | { id: number; ok: true; rows: number }
  | { id: number; ok: true; total: number; groups: number[] }
  | { id: number; ok: true; ipc: Uint8Array | null; rows: number }
  | { id: number; ok: true }
  | { id: number; ok: false; kind: ParquetFailureKind; message: string };

/** The worker's first message: its modules loaded and it takes requests. */
export const READY = "ready";
