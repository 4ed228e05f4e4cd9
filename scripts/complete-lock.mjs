#!/usr/bin/env node
/**
 * Add the other platforms' optional packages (rollup, msgpackr-extract, ...) that npm left out of
 * package-lock.json because this machine's registry mirror does not carry them. Without them
 * `npm ci` refuses the lock file ("Missing: @rollup/rollup-darwin-arm64@ from lock file"). Each
 * entry carries `os`/`cpu` (and `libc` on Linux), so npm skips it everywhere but its platform.
 *
 * Run after any `npm install` that rewrote the lock file:
 *
 * @example
 *   node scripts/complete-lock.mjs   # prints how many entries it added
 */
import { readFileSync, writeFileSync } from "node:fs";

const FILE = new URL("../package-lock.json", import.meta.url);
const PLATFORM =
  /-(aix|android|darwin|freebsd|linux|netbsd|openbsd|openharmony|sunos|win32)-([a-z0-9]+)(?:-([a-z]+))?$/;

const lock = JSON.parse(readFileSync(FILE, "utf8"));
const packages = lock.packages;
let added = 0;
for (const pkg of Object.values(packages)) {
  for (const [dep, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    const m = PLATFORM.exec(dep);
    if (packages[key] || !m) continue;
    const [, os, cpu, abi] = m;
    const entry = { version: version.replace(/^[\^~=]/, ""), cpu: [cpu], optional: true, os: [os] };
    if (os === "linux" && abi) entry.libc = [abi === "musl" ? "musl" : "glibc"];
    packages[key] = entry;
    added++;
  }
}
const sorted = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) =>
    a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0,
  ),
);
lock.packages = sorted;
writeFileSync(FILE, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: added ${added} platform entries`);
