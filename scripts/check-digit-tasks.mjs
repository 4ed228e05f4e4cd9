#!/usr/bin/env node
// Runs each of upstream DiGiT's 25 task files, unchanged, through the built digit CLI, offline,
// with the project's mock override for it, and checks the records each one writes ("bars"-style):
// exit status, final_data present, the expected number of records, no empty field, no unresolved
// `${...}` or path where text belongs, and for the InstructLab knowledge tasks that every record's
// `context` carries text of the task's own documents. DiGiT's time-series files must stop with
// DIGIT_BUILDER_UNSUPPORTED. Prints one line per task: task, status, records, problem.
//
// Usage: node scripts/check-digit-tasks.mjs [DiGiT checkout or bare git dir] [options]
//   default source: /work/.mirror/IBM+fms-dgt/repo (a git dir is extracted from HEAD to a temp dir)
//   --num <n>        records per generation task (default 5)
//   --only <text>    only task files whose path contains <text> (repeatable)
//   --keep           keep the temp folder (DiGiT's files and every task's output) and print it
//   --json <file>    also write the results as JSON
//   --digit <dir>    the digit repository whose built CLI and mock overrides run (default: this)
// Needs `npm run build` first (runs dist/src/cli/main.js). Exit code 0 when every task passes.
// See docs/compatibility.md ("Checking DiGiT's own task files").
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import fg from "fast-glob";
import { parse as parseYaml } from "yaml";

const here = join(dirname(fileURLToPath(import.meta.url)), "..");
const MOCK = "configs/mock/public";
const CLI = "dist/src/cli/main.js";

// DiGiT task file -> the mock override it runs with (relative to this repository), what kind of
// run it is, and what its records must hold.
//   kind: "generate" (exactly --num records), "transform" (one record per input row of `input`,
//         at most; `min` at least), "unsupported" (must fail with DIGIT_BUILDER_UNSUPPORTED)
//   knowledge: each record's `context` must be text of the task's own documents, and every
//              document must be used
//   grounded: each record must carry text of the documents of the task's `search/file` engines
//   num: records to ask for, when more than --num
//   optional: top-level fields that may be empty in a correct record
//   required: nested fields (dotted paths) that must not be empty
// DiGiT's conversations (SFT mode) leave these unset: None, None and {}.
const CONVERSATION_UNSET = ["branch_point", "outcome_reward", "outcome_reward_breakdown"];

export const TASKS = [
  {
    file: "tasks/public/examples/chit_chat/task.yaml",
    override: `${MOCK}/examples/chit_chat.yaml`,
    optional: CONVERSATION_UNSET,
  },
  { file: "tasks/public/examples/qa/task.yaml", override: `${MOCK}/examples/qa.yaml` },
  {
    file: "tasks/public/examples/rate/task.yaml",
    override: `${MOCK}/examples/rate.yaml`,
    kind: "transform",
    input: "data/public/examples/rate/data.jsonl",
    min: "all",
    required: ["ratings.knowledge", "ratings.difficulty"],
  },
  ...[
    "history/ibm_history",
    "science/biology/photosynthesis",
    "science/physics/static_electricity",
    "science",
  ].map((t) => ({
    file: `tasks/public/instructlab/knowledge/textbook/${t}/task.yaml`,
    override: `${MOCK}/instructlab/knowledge.yaml`,
    knowledge: true,
    required: ["context.content"],
    // Enough records for every document to be reached (the mock makes 2 pairs per chunk).
    num: 30,
  })),
  ...["logical_reasoning/causal", "temporal_reasoning"].map((t) => ({
    file: `tasks/public/instructlab/simple/${t}/task.yaml`,
    override: `${MOCK}/instructlab/simple.yaml`,
    // `input` is "" and `document` None for tasks without a document, as in DiGiT.
    optional: ["input", "document"],
  })),
  ...["writing/freeform/debate", "writing/grounded/editing/grammar"].map((t) => ({
    file: `tasks/public/instructlab/skills/${t}/task.yaml`,
    override: `${MOCK}/instructlab/skills.yaml`,
  })),
  {
    file: "tasks/public/magpie/task.yaml",
    override: `${MOCK}/magpie/magpie.yaml`,
    kind: "transform",
    input: "data/public/magpie/data.jsonl",
    min: 1,
    required: ["input_quality", "judge_quality_score", "intent", "knowledge", "difficulty"].map(
      (tag) => `magpie_tags.${tag}`,
    ),
  },
  ...[
    "live/task.yaml",
    "static/multi_doc2dial/dmv/task.yaml",
    "static/multi_doc2dial/ssa/task.yaml",
    "static/multi_doc2dial/studentaid/task.yaml",
    "static/multi_doc2dial/va/task.yaml",
  ].map((t) => ({
    file: `tasks/public/rag/${t}`,
    override: `${MOCK}/rag.yaml`,
    optional: CONVERSATION_UNSET,
    grounded: true,
  })),
  {
    file: "tasks/public/safety/refusal/cybersecurity/task.yaml",
    override: `${MOCK}/safety/refusal.yaml`,
  },
  ...["bikesharing_multivariate", "bikesharing_univariate", "nn5_multisample"].map((t) => ({
    file: `tasks/public/time_series/${t}/task.yaml`,
    kind: "unsupported",
  })),
  ...[
    "ablations/no_bt.yaml",
    "ablations/no_impl.yaml",
    "toolmind/conversation.yaml",
    "toolmind/conversation_single_turn.yaml",
  ].map((t) => ({
    file: `tasks/public/tool_calling/multi_turn/stateless/${t}`,
    override: `${MOCK}/tool_calling.yaml`,
    optional: CONVERSATION_UNSET,
  })),
];

// Files DiGiT's task files read that the DiGiT source does not hold (large files kept out of the
// mirror, or never committed upstream): digit's files of the same shape stand in when digit has
// them. Tool files it lacks are dropped by the tool-calling override.
const FILL_INS = {
  "data/public/tool_calling/personas.jsonl": "data/public/tool_calling/personas.jsonl",
  "data/knowledge_base.jsonl": "data/knowledge_base.jsonl",
  "data/public/rag/live/seed_examples.jsonl": "data/public/rag/live/seed_examples.jsonl",
};

function parseArgs(argv) {
  const opts = { source: "/work/.mirror/IBM+fms-dgt/repo", num: 5, only: [], keep: false };
  opts.digit = here;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--num") opts.num = Number(argv[++i]);
    else if (a === "--only") opts.only.push(argv[++i]);
    else if (a === "--keep") opts.keep = true;
    else if (a === "--json") opts.json = argv[++i];
    else if (a === "--digit") opts.digit = resolve(argv[++i]);
    else if (a === "--help" || a === "-h") {
      console.log(readFileSync(fileURLToPath(import.meta.url), "utf8").split("\nimport")[0]);
      process.exit(0);
    } else if (a.startsWith("--")) fail(`unknown option ${a}`);
    else opts.source = a;
  }
  if (!Number.isInteger(opts.num) || opts.num < 1) fail("--num takes a whole number, 1 or more");
  return opts;
}

function fail(message) {
  console.error(`check-digit-tasks: ${message}`);
  process.exit(2);
}

const git = (gitDir, args, options = {}) => {
  const r = spawnSync("git", ["--git-dir", gitDir, ...args], {
    encoding: "utf8",
    maxBuffer: 256 << 20,
    ...options,
  });
  if (r.status !== 0) fail(`git ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
};

/** A DiGiT checkout to read from: the folder itself, or HEAD of a git dir extracted under `tmp`. */
function checkout(source, tmp) {
  if (!existsSync(source)) fail(`${source} does not exist`);
  if (existsSync(join(source, "tasks/public"))) return { dir: source, missing: [] };
  const gitDir = existsSync(join(source, ".git")) ? join(source, ".git") : source;
  if (!existsSync(join(gitDir, "HEAD")))
    fail(`${source} is neither a DiGiT checkout nor a git dir`);
  // `git archive` stops at the first blob the mirror lacks, so archive only the blobs present.
  const entries = git(gitDir, ["ls-tree", "-r", "-z", "HEAD"])
    .split("\0")
    .filter(Boolean)
    .map((line) => {
      const [meta, path] = line.split("\t");
      const [, type, sha] = meta.split(" ");
      return { type, sha, path };
    })
    .filter((e) => e.type === "blob");
  const check = git(gitDir, ["cat-file", "--batch-check"], {
    input: `${entries.map((e) => e.sha).join("\n")}\n`,
  }).split("\n");
  const present = entries.filter((_, i) => !check[i].endsWith(" missing"));
  const missing = entries.filter((_, i) => check[i].endsWith(" missing")).map((e) => e.path);
  const dir = join(tmp, "digit-src");
  mkdirSync(dir, { recursive: true });
  const tar = join(tmp, "digit-src.tar");
  const literal = present.map((e) => `:(literal)${e.path}`);
  git(gitDir, ["archive", "-o", tar, "HEAD", "--", ...literal]);
  const x = spawnSync("tar", ["-xf", tar, "-C", dir], { encoding: "utf8" });
  if (x.status !== 0) fail(`tar: ${x.stderr}`);
  rmSync(tar);
  return { dir, missing };
}

const readJsonl = (file) =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

const squash = (s) => s.replace(/\s+/g, " ").trim();

/** The texts of a knowledge task's documents: `include: documents:` files or `knowledge:` store. */
export function documentTexts(task, dataDir) {
  const expand = (p) => String(p).replaceAll("${DGT_DATA_DIR}", dataDir);
  const texts = [];
  const docs = task.include?.documents ?? task.documents ?? {};
  for (const spec of Object.values(docs)) {
    for (const s of Array.isArray(spec) ? spec : [spec]) {
      for (const f of fg.sync(expand(s), { onlyFiles: true })) texts.push(readFileSync(f, "utf8"));
    }
  }
  const store = task.knowledge?.datastore_config;
  if (store?.data_path) {
    const formats = store.data_formats ?? ["jsonl"];
    for (const f of fg.sync(expand(store.data_path), { onlyFiles: true })) {
      if (!formats.some((fmt) => f.endsWith(`.${fmt}`))) continue;
      for (const row of readJsonl(f)) {
        for (const v of Object.values(row)) if (typeof v === "string") texts.push(v);
      }
    }
  }
  return texts.map(squash);
}

/** The texts of the documents a task's `tools.engines` of type `search/file` search. */
export function engineDocumentTexts(task, dataDir) {
  const texts = [];
  for (const engine of Object.values(task.tools?.engines ?? {})) {
    if (engine?.type !== "search/file" || typeof engine.path !== "string") continue;
    const file = engine.path.replaceAll("${DGT_DATA_DIR}", dataDir);
    if (!existsSync(file)) continue;
    const body = engine.projection?.body ?? "text";
    for (const row of readJsonl(file)) {
      const text = row[body] ?? row.text ?? row.body;
      if (typeof text === "string" && text.trim()) texts.push(squash(text));
    }
  }
  return texts;
}

const isEmpty = (v) =>
  v === null ||
  v === undefined ||
  (typeof v === "string" && v.trim() === "") ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);

/** Strings anywhere in a value, with their dotted paths. */
function* strings(value, path = "") {
  if (typeof value === "string") yield [path, value];
  else if (Array.isArray(value))
    for (const [i, v] of value.entries()) yield* strings(v, `${path}[${i}]`);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) yield* strings(v, path ? `${path}.${k}` : k);
}

/** What is wrong with a task's records (empty list: nothing). */
export function recordProblems(spec, task, records, ctx) {
  const problems = [];
  const expected =
    spec.kind === "transform" ? readJsonl(join(ctx.src, spec.input)).length : ctx.taskNum;
  const min = spec.kind === "transform" ? (spec.min === "all" ? expected : spec.min) : expected;
  if (records.length < min || records.length > expected)
    problems.push(
      `${records.length} records, expected ${min === expected ? expected : `${min}..${expected}`}`,
    );
  const optional = new Set(spec.optional ?? []);
  for (const [i, r] of records.entries()) {
    const empty = Object.entries(r).filter(([k, v]) => isEmpty(v) && !optional.has(k));
    for (const path of spec.required ?? []) {
      const v = path
        .split(".")
        .reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), r);
      if (isEmpty(v)) empty.push([path, v]);
    }
    if (empty.length) problems.push(`record ${i}: empty ${empty.map(([k]) => k).join(", ")}`);
    for (const [p, s] of strings(r)) {
      if (s.includes("${") || /\{\{\s*\w+\s*\}\}/.test(s))
        problems.push(`record ${i}: unresolved placeholder in ${p}: ${s.slice(0, 60)}`);
      if (ctx.dataDir && s.includes(ctx.dataDir))
        problems.push(`record ${i}: a path where text belongs in ${p}`);
    }
  }
  // A task that asks for formatted output must have one formatted record per record.
  if (task.runner_config?.save_formatted_output === true) {
    const file = join(ctx.output, "formatted_data.jsonl");
    const formatted = existsSync(file) ? readJsonl(file) : [];
    if (formatted.length !== records.length)
      problems.push(`${formatted.length} formatted records for ${records.length} records`);
    for (const [i, f] of formatted.entries()) {
      const empty = Object.entries(f).filter(([, v]) => isEmpty(v));
      if (empty.length) problems.push(`formatted ${i}: empty ${empty.map(([k]) => k).join(", ")}`);
      // A knowledge record's formatted form carries its context's text (quoted as Python would:
      // look for a stretch without quotes, backslashes or line breaks).
      const content = records[i]?.context?.content;
      if (!spec.knowledge || typeof content !== "string") continue;
      const stretch = /[^'"\\\n]{40}/.exec(content)?.[0];
      const text = [...strings(f)].map(([, v]) => v).join("\n");
      if (stretch && !text.includes(stretch))
        problems.push(`formatted ${i}: does not carry the record's context text`);
    }
  }
  if (spec.knowledge) {
    const docs = documentTexts(task, ctx.dataDir);
    if (docs.length === 0) problems.push("the task's documents could not be read by this check");
    const used = new Set();
    for (const [i, r] of records.entries()) {
      const c = r.context;
      const text = squash(
        typeof c === "string" ? c : typeof c?.content === "string" ? c.content : "",
      );
      if (text.length < 40) {
        problems.push(
          `record ${i}: context holds no document text (${JSON.stringify(c)?.slice(0, 60)})`,
        );
        continue;
      }
      const at = docs.findIndex((d) => d.includes(text));
      if (at < 0)
        problems.push(
          `record ${i}: context is not text of the task's documents: ${text.slice(0, 60)}`,
        );
      else used.add(at);
      // DiGiT joins a chunk of at most 300 words to the one before (fuse_texts), so at a
      // chunk_size above 300 only a whole document may be that short.
      const words = text.split(" ").length;
      if (at >= 0 && task.chunk_size > 300 && words <= 300 && docs[at] !== text)
        problems.push(`record ${i}: a chunk of ${words} words (DiGiT joins it to the one before)`);
    }
    if (used.size < docs.length)
      problems.push(`only ${used.size} of the task's ${docs.length} documents reached the records`);
    ctx.note = `${used.size}/${docs.length} documents used`;
  }
  if (spec.grounded) {
    const docs = engineDocumentTexts(task, ctx.dataDir);
    if (docs.length === 0) problems.push("the task's documents could not be read by this check");
    // A record is grounded when some string of it (40+ characters) is document text or holds a
    // whole document.
    for (const [i, r] of records.entries()) {
      const found = [...strings(r)].some(([, v]) => {
        const t = squash(v);
        return t.length >= 40 && docs.some((d) => d.includes(t) || t.includes(d));
      });
      if (docs.length && !found) problems.push(`record ${i}: carries no text of the documents`);
    }
  }
  // One problem per kind is enough to read; say how many more there were.
  const seen = new Map();
  for (const p of problems) {
    const key = p.replace(/^record \d+: /, "").replace(/:.*$/, "");
    if (!seen.has(key)) seen.set(key, { text: p, more: 0 });
    else seen.get(key).more++;
  }
  return [...seen.values()].map((s) => (s.more ? `${s.text} (+${s.more} more)` : s.text));
}

function runTask(spec, ctx) {
  const file = join(ctx.src, spec.file);
  const result = { file: spec.file, status: "FAIL", records: "-", problem: "" };
  if (!existsSync(file)) return { ...result, problem: "task file not in this DiGiT version" };
  const task = parseYaml(readFileSync(file, "utf8"));
  const out = join(ctx.tmp, "out", spec.file.replace(/\//g, "_"));
  const args = ["run", file, "--include-namespaces", "public", "--output-dir", out];
  const num = Math.max(spec.num ?? 0, ctx.num);
  args.push("--no-cache", "--quiet", "--num-outputs-to-generate", String(num));
  const override = spec.override && join(ctx.digit, spec.override);
  if (override && !existsSync(override)) {
    return { ...result, problem: `no mock override ${spec.override} in this digit` };
  }
  if (override) args.push("--config-path", override);
  const r = spawnSync(process.execPath, [join(ctx.digit, CLI), ...args], {
    cwd: ctx.tmp,
    env: ctx.env,
    encoding: "utf8",
    timeout: 300_000,
    maxBuffer: 64 << 20,
  });
  const stderr = `${r.stderr ?? ""}`;
  // The error line ("digit: ...") and its code, else the first line that reads like an error.
  const firstError = () => {
    const lines = stderr.split("\n");
    const said = lines.find((l) => l.startsWith("digit: ")) ?? lines.find((l) => /error/i.test(l));
    const code = /\[(DIGIT_[A-Z_]+)\]/.exec(stderr)?.[1];
    return [said?.trim().slice(0, 160), code].filter(Boolean).join(" ") || "(no message)";
  };
  if (spec.kind === "unsupported") {
    const clear =
      stderr.includes("DIGIT_BUILDER_UNSUPPORTED") &&
      stderr.includes("compatibility.md#time-series");
    if (r.status !== 0 && clear && !existsSync(out))
      return { ...result, status: "ok", problem: "DIGIT_BUILDER_UNSUPPORTED, as expected" };
    return {
      ...result,
      problem: `expected DIGIT_BUILDER_UNSUPPORTED, got exit ${r.status}: ${firstError()}`,
    };
  }
  if (r.status !== 0)
    return { ...result, problem: `exit ${r.status ?? r.signal}: ${firstError()}` };
  const finalFile = join(out, task.task_name, "final_data.jsonl");
  if (!existsSync(finalFile))
    return { ...result, problem: `no ${task.task_name}/final_data.jsonl` };
  const records = readJsonl(finalFile);
  const local = { ...ctx, taskNum: num, output: join(out, task.task_name), note: "" };
  const problems = recordProblems(spec, task, records, local);
  return {
    ...result,
    status: problems.length ? "FAIL" : "ok",
    records: String(records.length),
    problem: [problems.join("; "), local.note].filter(Boolean).join("; "),
    output: join(out, task.task_name),
  };
}

function printTable(rows) {
  const cols = ["task", "status", "records", "problem"];
  const cells = rows.map((r) => [
    r.file.replace(/^tasks\/public\//, ""),
    r.status,
    r.records,
    r.problem,
  ]);
  const width = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  width[3] = cols[3].length;
  const line = (row) => row.map((c, i) => (i < 3 ? c.padEnd(width[i]) : c)).join("  ");
  console.log(line(cols));
  console.log(line(width.map((w) => "-".repeat(w))));
  for (const row of cells) console.log(line(row));
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const root = opts.digit;
  if (!existsSync(join(root, CLI))) fail(`${join(root, CLI)} is missing: run npm run build first`);
  const tmp = mkdtempSync(join(tmpdir(), "digit-check-"));
  // Removed however the check ends (fail() exits at once), unless --keep.
  process.on("exit", () => {
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
  });
  const { dir: src, missing } = checkout(resolve(opts.source), tmp);
  const dataDir = join(src, "data");
  for (const [path, ours] of Object.entries(FILL_INS)) {
    if (existsSync(join(src, path)) || !existsSync(join(root, ours))) continue;
    if (src === resolve(opts.source)) {
      // Never write into the user's checkout.
      console.log(`note: ${path} is not in ${src}: tasks that read it fail (copy digit's ${ours})`);
      continue;
    }
    mkdirSync(dirname(join(src, path)), { recursive: true });
    copyFileSync(join(root, ours), join(src, path));
    console.log(`note: ${path} is not in ${opts.source}; using digit's file of the same shape`);
  }
  if (missing.length) console.log(`note: not in the source (left out): ${missing.join(", ")}`);
  // Offline: no provider key or endpoint of the caller's environment reaches the runs.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/(_API_KEY|_BASE_URL|_ENDPOINT|_HOST|_URL|_PROJECT_ID|_TOKEN)$/.test(k) &&
        !k.startsWith("DGT_"),
    ),
  );
  Object.assign(env, { DGT_DATA_DIR: dataDir, DGT_CACHE_DIR: join(tmp, "cache"), NO_COLOR: "1" });
  const ctx = { src, tmp, env, dataDir, num: opts.num, digit: root };
  const known = new Set(TASKS.map((t) => t.file));
  const unknown = fg
    .sync("tasks/**/*.yaml", { cwd: src })
    .filter((f) => !known.has(f))
    .sort();
  if (unknown.length)
    console.log(`note: task files this check has no entry for: ${unknown.join(", ")}`);
  const specs = TASKS.filter((t) => !opts.only.length || opts.only.some((o) => t.file.includes(o)));
  const rows = [];
  for (const spec of specs) {
    const row = runTask(spec, ctx);
    rows.push(row);
    process.stderr.write(`${row.status.padEnd(4)} ${row.file}\n`);
  }
  printTable(rows);
  const ok = rows.filter((r) => r.status === "ok").length;
  console.log(`\n${ok} of ${rows.length} task files pass`);
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(rows, null, 2)}\n`);
  if (opts.keep) console.log(`kept: ${tmp}`);
  process.exit(ok === rows.length ? 0 : 1);
}

// Run as a script; imported (by its test), only the checks are used.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
