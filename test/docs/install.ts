/**
 * The three ways a user gets digit, built in a temporary folder for the tutorials test: a clone of
 * the repository (built as `npm ci` builds it), a project that ran `npm install <tarball from npm
 * pack>`, and a project that ran `npm install <path to a clone>` (a symlink in node_modules).
 *
 * Everything works offline and in seconds: the clone links the repository's node_modules instead of
 * installing, and the tarball project gets a package-lock.json seeded with the repository's locked
 * runtime dependencies, so `npm install --offline <tarball>` resolves nothing on the registry and
 * takes every dependency from npm's cache (filled by the `npm ci` that installed the repository).
 */
import { type ExecFileSyncOptions, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ROOT } from "../cli/helpers.js";

/** What `git clone` brings that the build, the CLI and `npm pack` read. */
const CLONE_ENTRIES = [
  "package.json",
  "package-lock.json",
  "README.md",
  "tsconfig.json",
  "tsconfig.build.json",
  "src",
  "builders",
  "tasks",
  "configs",
  "data",
  "scripts",
  "studio-app",
];

/**
 * The environment for npm and digit in the scratch folders: no tsconfig path mapping (plugins must
 * resolve "digit-sdg" as a user's would) and none of the npm_* variables of an enclosing `npm test`,
 * which npm would read as its own configuration.
 */
export function installEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  delete env.TSX_TSCONFIG_PATH;
  for (const k of Object.keys(env))
    if (/^npm_(package_|lifecycle_|config_(local_)?prefix$)/.test(k)) delete env[k];
  return env;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const o: ExecFileSyncOptions = {
    cwd,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 240_000,
  };
  try {
    return String(execFileSync(cmd, args, o));
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${cmd} ${args.join(" ")} failed in ${cwd}:\n${err.stdout ?? ""}\n${err.stderr ?? err.message}`,
    );
  }
}

/**
 * Copy the repository's working tree to `dir` (a "clone") with the repository's node_modules linked,
 * and compile it to dist/ as `npm run build` does, without type checking or declarations (the
 * type check is `npm run typecheck`'s job; here only the emitted JavaScript matters).
 */
export function makeClone(dir: string, env: NodeJS.ProcessEnv): void {
  mkdirSync(dir, { recursive: true });
  for (const e of CLONE_ENTRIES)
    cpSync(join(ROOT, e), join(dir, e), {
      recursive: true,
      filter: (src) => !src.endsWith(".test.ts"),
    });
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  run(
    process.execPath,
    [
      tsc,
      "-p",
      "tsconfig.build.json",
      "--noCheck",
      "--declaration",
      "false",
      "--sourceMap",
      "false",
    ],
    dir,
    env,
  );
  run(process.execPath, ["scripts/write-registry-scan.mjs"], dir, {
    ...env,
    npm_config_loglevel: "silent",
  });
  // The studio's front end, bundled into dist/studio/ as `npm run build` does.
  run(
    process.execPath,
    [
      join(ROOT, "node_modules", "vite", "bin", "vite.js"),
      "build",
      "--config",
      "studio-app/vite.config.ts",
    ],
    dir,
    env,
  );
}

/** Copy a built clone (to get a fresh one per tutorial), linking the same node_modules. */
export function copyClone(from: string, to: string): void {
  cpSync(from, to, { recursive: true, filter: (src) => src !== join(from, "node_modules") });
  symlinkSync(join(ROOT, "node_modules"), join(to, "node_modules"), "dir");
}

/** `npm pack` a built clone into `destDir`; returns the tarball's path. */
export function packClone(clone: string, destDir: string, env: NodeJS.ProcessEnv): string {
  const out = run(
    "npm",
    ["pack", "--ignore-scripts", "--silent", "--pack-destination", destDir],
    clone,
    env,
  );
  return join(destDir, basename(out.trim().split("\n").pop()!));
}

function newProject(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name: "my-project", private: true }, null, 2)}\n`,
  );
}

/**
 * A project that ran `npm install --offline <tarball>`. Its lock file is seeded with the
 * repository's locked runtime packages, so npm needs no registry metadata (which `npm ci` does not
 * cache) and fetches each package from the cache by its integrity.
 */
export function tarballProject(dir: string, tarball: string, env: NodeJS.ProcessEnv): void {
  newProject(dir);
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean; link?: boolean }>;
  };
  const packages: Record<string, unknown> = { "": { name: "my-project" } };
  for (const [path, entry] of Object.entries(lock.packages))
    if (path && !entry.dev && !entry.link) packages[path] = entry;
  writeFileSync(
    join(dir, "package-lock.json"),
    `${JSON.stringify({ name: "my-project", lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  );
  try {
    run(
      "npm",
      ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball],
      dir,
      env,
    );
  } catch (e) {
    throw new Error(
      `${(e as Error).message}\n(ENOTCACHED: npm's cache lacks a dependency; one \`npm ci\` in the repository fills it)`,
    );
  }
  copyNativeBuilds(dir);
}

/**
 * Install scripts are skipped above because the ones that matter compile native addons
 * (better-sqlite3's SQLite, hnswlib-node) for a minute or more; the repository's own builds of the same locked versions are copied in
 * instead, which is what the compile would have produced on this machine.
 */
function copyNativeBuilds(dir: string): void {
  for (const pkg of ["better-sqlite3", "hnswlib-node"]) {
    const build = join("node_modules", pkg, "build");
    cpSync(join(ROOT, build), join(dir, build), { recursive: true });
  }
}

/**
 * A project that ran `npm install <clone>`: node_modules/digit-sdg is a symlink to the clone. The
 * clone is already built, so its `prepare` (the build) is skipped.
 */
export function folderProject(dir: string, clone: string, env: NodeJS.ProcessEnv): void {
  newProject(dir);
  run(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", clone],
    dir,
    env,
  );
}
