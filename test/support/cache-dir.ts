import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach } from "vitest";
import { closeSharedCaches } from "../../src/cache/settings.js";

/**
 * Vitest setup: every test gets its own empty response cache folder ($DGT_CACHE_DIR, inherited by
 * the CLI processes it spawns), so no test replays another's answers or leaves a cache behind.
 */
const made: string[] = [];

beforeEach(() => {
  closeSharedCaches();
  const dir = mkdtempSync(join(tmpdir(), "digit-cache-"));
  made.push(dir);
  process.env.DGT_CACHE_DIR = dir;
});

afterAll(() => {
  closeSharedCaches();
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
