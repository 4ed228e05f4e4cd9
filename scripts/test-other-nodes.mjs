#!/usr/bin/env node
// CI: run the end-to-end CLI tests on Node 22 and 24 (the full suite runs on the Node of the
// machine, 20). Each runtime is installed from the npm registry with `npx -p node@<major>` (npm
// keeps it in its cache, so later runs do not download it again); vitest and every `digit` child
// process then run on it (its folder goes first on PATH, for the children's `#!/usr/bin/env node`).
// Usage: node scripts/test-other-nodes.mjs [majors, default "22,24"]
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const majors = (process.argv[2] ?? "22,24").split(",");
const files = [
  "test/cli/help.test.ts",
  "test/cli/validate.test.ts",
  "test/cli/run-telemetry.test.ts",
  "test/cli/progress.test.ts",
];
let failed = 0;
for (const major of majors) {
  const found = spawnSync("npx", ["-y", "-p", `node@${major}`, "node", "-p", "process.execPath"], {
    cwd: root,
    encoding: "utf8",
  });
  const node = found.stdout.trim().split("\n").at(-1);
  if (found.status !== 0 || !node) {
    console.error(
      `ci: could not install Node ${major} with npx -p node@${major}: ${found.stderr.trim()}`,
    );
    failed++;
    continue;
  }
  const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(`ci: end-to-end CLI tests on Node ${version} (${node})`);
  // The response cache's SQLite addon is compiled for the Node that installed node_modules (20),
  // so these runs go without it; a user on Node 22 or 24 installs (compiles) it for that Node.
  const env = {
    ...process.env,
    PATH: `${dirname(node)}:${process.env.PATH ?? ""}`,
    DGT_CACHE: "off",
  };
  const r = spawnSync(node, [join(root, "node_modules/vitest/vitest.mjs"), "run", ...files], {
    cwd: root,
    env,
    stdio: "inherit",
  });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
