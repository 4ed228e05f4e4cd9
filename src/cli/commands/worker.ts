import { prepareEnvironment } from "../../config/env.js";
import { isDigitError } from "../../errors.js";
import { ConsoleLogger } from "../../telemetry/logger.js";
import { list } from "../option-spec.js";
import { printError } from "../print-error.js";

export { WORKER_OPTIONS } from "./worker-options.js";

/**
 * `digit worker redis://host:port`: run builder calls for coordinators (`digit run --executor`)
 * until SIGTERM or SIGINT; the first signal lets running units finish, a second one quits at once.
 *
 * @example
 * process.exitCode = await workerCommand("redis://127.0.0.1:6379", { concurrency: 4 });
 */
export async function workerCommand(url: string, opts: Record<string, unknown>): Promise<number> {
  prepareEnvironment(process.cwd());
  const logger = new ConsoleLogger(
    opts.debug === true ? "debug" : opts.quiet === true ? "warn" : "info",
  );
  const { startWorker } = await import("../../engine/executor/bullmq/worker.js");
  let worker: Awaited<ReturnType<typeof startWorker>>;
  try {
    worker = await startWorker({
      url,
      concurrency: typeof opts.concurrency === "number" ? opts.concurrency : undefined,
      namespaces: list(opts.includeNamespaces),
      pluginDirs: list(opts.pluginDir),
      builderPaths: list(opts.includeBuilderPaths),
      clusterLimits: opts.clusterLimits !== false,
      lockDurationMs: typeof opts.lockDuration === "number" ? opts.lockDuration : undefined,
      stalledIntervalMs:
        typeof opts.stalledInterval === "number" ? opts.stalledInterval : undefined,
      leaseMs: typeof opts.slotLease === "number" ? opts.slotLease : undefined,
      logger,
    });
  } catch (e) {
    if (isDigitError(e)) {
      printError(e.format());
      return 1;
    }
    throw e;
  }
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (signal: string) => {
      signals++;
      if (signals > 1) {
        logger.warn(
          `${signal} again: quitting now; the units still running will run again on another worker`,
        );
        void worker.close(true).finally(() => resolve(130));
        return;
      }
      logger.info(`${signal}: finishing the units in progress (${signal} again to quit at once)`);
      void worker.close().then(() => {
        logger.info(`worker ${worker.id} stopped after ${worker.processed} units`);
        resolve(0);
      });
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
