import { type Dirent, readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Every file below `dir` whose name `keep` accepts, as sorted absolute paths. Folders named
 * `node_modules` and names starting with a dot are skipped, as fast-glob does by default;
 * symbolic links are followed. A folder that cannot be read counts as empty.
 *
 * Why not fast-glob: loading it is a noticeable part of every run's start-up (docs/architecture.md),
 * and the registry and the task-folder search only need "all files below, by name".
 *
 * @example
 * filesBelow("plugins", (name) => name.endsWith(".ts")) // ["/abs/plugins/a.ts", "/abs/plugins/x/b.ts"]
 */
export function filesBelow(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  // `ancestors` holds the real paths of the folders above, so a link back up is not followed.
  const visit = (folder: string, real: string, ancestors: ReadonlySet<string>) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const path = join(folder, e.name);
      if (e.isSymbolicLink()) {
        const target = resolveLink(path);
        if (target?.isFile && keep(e.name)) out.push(path);
        else if (target?.isDir && !ancestors.has(target.real))
          visit(path, target.real, new Set(ancestors).add(target.real));
      } else if (e.isDirectory()) {
        const sub = join(real, e.name);
        visit(path, sub, new Set(ancestors).add(sub));
      } else if (e.isFile() && keep(e.name)) out.push(path);
    }
  };
  const real = resolveLink(dir)?.real ?? dir;
  visit(dir, real, new Set([real]));
  return out.sort();
}

function resolveLink(path: string): { real: string; isDir: boolean; isFile: boolean } | undefined {
  try {
    const st = statSync(path);
    return { real: realpathSync(path), isDir: st.isDirectory(), isFile: st.isFile() };
  } catch {
    return undefined; // dangling link or a loop the system refuses
  }
}
