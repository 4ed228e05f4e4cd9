/**
 * Worker-thread entry of the ROUGE conflict search: receives a `ConflictJob`, answers with its
 * `ConflictResult` (typed arrays transferred, not copied).
 */
import { parentPort } from "node:worker_threads";
import { type ConflictJob, findConflicts } from "./conflicts.js";

const port = parentPort;
if (port) {
  port.on("message", (job: ConflictJob) => {
    try {
      const r = findConflicts(job);
      port.postMessage({ ok: true, result: r }, [
        r.i.buffer as ArrayBuffer,
        r.j.buffer as ArrayBuffer,
        r.score.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      port.postMessage({
        ok: false,
        error: e instanceof Error ? (e.stack ?? e.message) : String(e),
      });
    }
  });
}
