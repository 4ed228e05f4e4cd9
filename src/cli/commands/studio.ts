import { stat } from "node:fs/promises";
import { z } from "zod";
import { MissingFileError, UsageError } from "../../errors.js";
import { PACKAGE_ROOT } from "../../registry/package-root.js";
import { bundledAssets, type Studio, startStudio } from "../../studio/server.js";
import { telemetrySettings } from "../../telemetry/settings.js";

/**
 * The parsed options of `digit studio`, with their defaults (see studio-options.ts for the flags).
 *
 * @example
 * StudioCommandOptions.parse({}) // { port: 4180 }
 */
export const StudioCommandOptions = z.object({
  port: z.number().int().min(0).max(65535).default(4180),
});

/**
 * `digit studio [output-dir]`: serve the studio for an output folder on 127.0.0.1, print its
 * URL, and stop on SIGINT or SIGTERM (exit code 0). It opens no browser and writes nothing.
 *
 * @example
 * process.exitCode = await studioCommand("output", { port: 0 });
 */
export async function studioCommand(dir: string, opts: Record<string, unknown>): Promise<number> {
  const { port } = StudioCommandOptions.parse(opts);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory())
    throw new MissingFileError(dir, "output folder", {
      hint: "pass the folder given to `digit run --output-dir` (default: output)",
    });
  let studio: Studio;
  try {
    const telemetryDir = telemetrySettings(process.env).dir;
    studio = await startStudio({
      root: dir,
      port,
      assetsDir: bundledAssets(PACKAGE_ROOT),
      telemetryDir,
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES") {
      throw new UsageError(
        `cannot listen on 127.0.0.1:${port}: ${code === "EADDRINUSE" ? "the port is in use" : "permission denied"}`,
        { hint: "pass another --port, or --port 0 for any free port" },
      );
    }
    throw e;
  }
  process.stdout.write(
    `digit studio for '${dir}': ${studio.url}\nstop with Ctrl-C (SIGINT) or SIGTERM\n`,
  );
  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      void studio.close().then(() => resolve(0));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
