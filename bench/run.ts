/**
 * `npm run bench [name...]`: run every benchmark under bench/<name>/index.ts (or the named ones),
 * one after another, each printing its figures as ratios against a baseline measured in the same run.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = new URL(".", import.meta.url).pathname;
const wanted = process.argv.slice(2);
const names = readdirSync(dir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, "index.ts")))
  .map((d) => d.name)
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();
if (names.length === 0) {
  console.error(`no benchmark matches ${wanted.join(", ")}`);
  process.exit(1);
}
// Benchmarks measure requests actually sent: the response cache would answer their repeated
// prompts (warm-ups, reruns) from disk. Only bench/cache measures the cache, with its own settings.
const cacheSetting = process.env.DGT_CACHE;
for (const name of names) {
  console.log(`\n=== bench/${name}`);
  if (name === "cache") {
    if (cacheSetting === undefined) delete process.env.DGT_CACHE;
    else process.env.DGT_CACHE = cacheSetting;
  } else process.env.DGT_CACHE = "off";
  const mod = (await import(pathToFileURL(join(dir, name, "index.ts")).href)) as {
    run?: () => Promise<void>;
  };
  if (typeof mod.run !== "function") throw new Error(`bench/${name}/index.ts must export run()`);
  await mod.run();
}
