/**
 * The Node runtimes benchmarks compare: this one, and Node 22 and 24 installed from the registry
 * by `npx -p node@<major>` (kept in npm's cache after the first time). A runtime that cannot be
 * installed is left out with a note.
 */
import { spawnSync } from "node:child_process";

/** One Node runtime. */
export interface NodeRuntime {
  major: number;
  version: string;
  path: string;
}

/**
 * This process's Node, then Node 22 and 24 (or the majors in BENCH_NODE_MAJORS, e.g. "22,24").
 *
 * @example
 * for (const node of nodeRuntimes()) console.log(node.version, node.path);
 */
export function nodeRuntimes(): NodeRuntime[] {
  const own = {
    major: Number(process.versions.node.split(".")[0]),
    version: process.version,
    path: process.execPath,
  };
  const majors = (process.env.BENCH_NODE_MAJORS ?? "22,24")
    .split(",")
    .map(Number)
    .filter((m) => m && m !== own.major);
  const out: NodeRuntime[] = [own];
  for (const major of majors) {
    const r = spawnSync(
      "npx",
      ["-y", "-p", `node@${major}`, "node", "-p", "process.execPath + ' ' + process.version"],
      { encoding: "utf8" },
    );
    const [path, version] = r.stdout.trim().split("\n").at(-1)?.split(" ") ?? [];
    if (r.status !== 0 || !path || !version) {
      console.log(
        `  (node ${major} could not be installed with npx -p node@${major}: ${r.stderr.trim().split("\n").at(-1) ?? ""})`,
      );
      continue;
    }
    out.push({ major, version, path });
  }
  return out;
}
