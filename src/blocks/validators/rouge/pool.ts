/**
 * A small pool of worker threads running `findConflicts` on parts of one job.
 *
 * The worker module sits next to this file with the same extension: `worker.js` when digit runs
 * from dist/, `worker.ts` when it runs from source (vitest, tsx). Node cannot load a .ts worker
 * by itself, so in that case the worker is started through tsx's loader API.
 */
import { createRequire } from "node:module";
import { extname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ConflictJob, ConflictResult } from "./conflicts.js";

type Reply = { ok: true; result: ConflictResult } | { ok: false; error: string };

/**
 * Runs the parts of a conflict job on `size` worker threads plus the calling thread.
 *
 * @example
 * const pool = new ConflictPool(1);
 * const parts = await pool.run(job, findConflicts);
 * await pool.close();
 */
export class ConflictPool {
  private workers: Worker[] = [];

  constructor(readonly size: number) {}

  /**
   * Run `job` on every worker and, meanwhile, with `local` in this thread: all of them claim
   * chunks from the job's shared counter until none is left (so `size` workers keep `size + 1`
   * cores busy, and a worker still starting up or slowed down just takes fewer chunks).
   */
  async run(
    job: ConflictJob,
    local: (job: ConflictJob) => ConflictResult,
  ): Promise<ConflictResult[]> {
    while (this.workers.length < this.size) this.workers.push(startWorker());
    const workers = this.workers;
    for (const w of workers) w.ref();
    try {
      const pending = workers.map((w) => ask(w, job));
      // Settle every pending answer even if the local part throws, so no rejection goes unhandled.
      const settled = Promise.allSettled(pending);
      const mine = local(job);
      const others = await settled;
      const failed = others.find((o): o is PromiseRejectedResult => o.status === "rejected");
      if (failed) throw failed.reason;
      return [mine, ...others.map((o) => (o as PromiseFulfilledResult<ConflictResult>).value)];
    } catch (e) {
      await this.close();
      throw e;
    } finally {
      // Idle workers must not keep the process alive.
      for (const w of this.workers) w.unref();
    }
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

function ask(worker: Worker, job: ConflictJob): Promise<ConflictResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply) => {
      cleanup();
      if (reply.ok) resolve(reply.result);
      else reject(new Error(`rouge worker failed: ${reply.error}`));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`rouge worker exited with code ${code}`));
    };
    const cleanup = () => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    worker.postMessage(job);
  });
}

function startWorker(): Worker {
  const ext = extname(fileURLToPath(import.meta.url));
  const url = new URL(`./worker${ext}`, import.meta.url);
  if (ext !== ".ts" && ext !== ".mts") return new Worker(url);
  // From source: load the worker through tsx (its ESM API; the package's "require" entry is CJS).
  const require = createRequire(import.meta.url);
  const api = pathToFileURL(require.resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(url.href)}));`;
  return new Worker(code, { eval: true });
}
