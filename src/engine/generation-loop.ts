import { LMProvider } from "../blocks/lm/provider.js";
import type { GenerationDataBuilder } from "../builders/databuilder.js";
import { BudgetExhausted } from "../errors.js";
import type { GenerationTask } from "../tasks/generation-task.js";
import type { CommitPosition, Task, TaskStatus } from "../tasks/task.js";
import type { Row } from "../util/mapping.js";
import {
  type Batch,
  maxInFlight,
  mayStart,
  routeRows,
  running,
  startBatch,
  waitForProgress,
} from "./batches.js";
import { afterQueued, mayFill, whenFillable } from "./capacity.js";
import type { LoopContext } from "./loop-context.js";
import { postprocess } from "./postprocess.js";

/** One batch's rows for one task, about to be committed. */
interface Commit {
  rows: Row[];
  /** The task's input rows in the batch (undefined when the batch only returned rows for it). */
  input: { rows: number; position: CommitPosition } | undefined;
  position: CommitPosition;
}

interface TaskState {
  phase: "generating" | "draining" | "finished";
  /** Why generation stopped (completed = reached the target before postprocessing). */
  reason: TaskStatus;
  epochBudget: number;
  countAfterLastEpoch: number;
  /** Why the task stalled, when it is not `stallBudget` empty batches in a row. */
  stallCause?: string | undefined;
  /** Batches of the task drawn this run, and committed (a batch's index is its place in this order). */
  drawn: number;
  committed: number;
  /** The task's counters after its latest committed batch. */
  now: Progress;
  /**
   * The latest batches by index: input rows, and the counters once committed. Only the last
   * `lag + 2` are kept (the decisions look no further back), so this stays small however long
   * the task runs.
   */
  recent: Map<number, { rows: number; after?: Progress }>;
  /** The first batch index of the current epoch, and the counters when it started. */
  epochStart: number;
  atEpochStart: Progress;
}

/** A task's counters at one point of its own commit sequence (the same in every run with one seed). */
interface Progress {
  accepted: number;
  inputRows: number;
  /** Records the task kept this run. */
  outputRows: number;
  /** Rows the builder returned this run (records or not: exact repeats of accepted ones count). */
  returnedRows: number;
  stallBudget: number;
}

/**
 * Builder input rows (each costs at least one request) from which the builder may return nothing
 * at all, in a run, before the task stops as stalled: a builder that cannot use the model's
 * replies should cost a few batches, not `max_stalled_attempts` of them. (Rows that repeat
 * accepted records, as after a resume, are returned and so do not count.)
 */
export const FIRST_RECORD_BUDGET = 100;

/**
 * Run a generation builder over its tasks until each reaches its target or stalls.
 *
 * Up to `ctx.width` builder calls run at once, and up to `ctx.fillWidth` while the builder's LLM
 * limiters have spare capacity (so credentials stay busy across batch boundaries, also when
 * batches are small); their results are committed in the order the calls were made. A task stops
 * drawing new batches once its accepted records plus the expected yield of its in-flight batches
 * reach the target; when nothing of it is in flight it is postprocessed, and either finishes or, if
 * postprocessing took it below target, starts another epoch.
 *
 * Whether a task draws its batch k is decided from its counters after its last L batches (L = the
 * most calls ever in flight) and the sizes of the batches since (see `drawing`); the records batch
 * k may take as examples are those its batches up to k - L made, which are always committed when
 * k is drawn. These are points of the task's own commit sequence, so with a model that answers by
 * request the batches a task draws and the records it keeps are the same in every run with one
 * `--seed`, however calls overlap in time.
 */
export async function runGenerationLoop(
  builder: GenerationDataBuilder,
  ctx: LoopContext,
): Promise<void> {
  const tasks = builder.tasks;
  const state = new Map<GenerationTask, TaskState>();
  const lag = maxInFlight(ctx);
  for (const t of tasks) {
    const start: Progress = {
      accepted: t.accepted.length,
      inputRows: 0,
      outputRows: 0,
      returnedRows: 0,
      stallBudget: ctx.maxStalled,
    };
    state.set(t, {
      phase: "generating",
      reason: "completed",
      epochBudget: ctx.maxStalled,
      countAfterLastEpoch: -1,
      drawn: 0,
      committed: 0,
      now: start,
      recent: new Map(),
      epochStart: 0,
      atEpochStart: start,
    });
    const m = ctx.metrics.task(t.name, "generation", t.target);
    m.accepted = t.accepted.length;
    m.status = "running";
    m.epoch = t.postprocessEpoch + 1;
    if (t.isComplete()) drain(t, "completed");
    else
      builder.telemetry.event("epoch_started", {
        builder_name: builder.name,
        task_name: t.name,
        epoch: m.epoch,
      });
  }
  const inflight: Batch[] = [];
  let seq = 0;
  let attempt = 0;

  function drain(t: GenerationTask, reason: TaskStatus): void {
    const s = state.get(t)!;
    if (s.phase !== "generating") return;
    s.phase = "draining";
    s.reason = reason;
  }

  /** The task's counters after its batch `index` (those at the epoch's start for earlier ones); undefined while not committed. */
  function progressAfter(s: TaskState, index: number): Progress | undefined {
    return index < s.epochStart ? s.atEpochStart : s.recent.get(index)?.after;
  }

  /** Why a task stops drawing, judged from counters `p`, or undefined to go on. */
  function stopReason(
    t: GenerationTask,
    p: Progress,
  ): { reason: TaskStatus; cause?: string } | undefined {
    if (p.accepted >= t.target) return { reason: "completed" };
    if (p.stallBudget <= 0) return { reason: "stalled_generation" };
    if (p.returnedRows === 0 && p.inputRows >= FIRST_RECORD_BUDGET) {
      return {
        reason: "stalled_generation",
        cause: `the builder made nothing of its first ${p.inputRows} inputs, so it may not understand the model's replies. ${unusableSample(builder)}`,
      };
    }
    return undefined;
  }

  /**
   * Whether a task draws its next batch k now. Yes if, after some batch j of its last L ones (or
   * at the epoch's start), the task went on and its records plus the expected yield of its batches
   * after j were short of the target: decided as soon as one such j is committed. If none is,
   * once all its batches are committed it stops (drains). The answer depends only on the task's
   * own commit sequence, never on when commits happen. A stall stops the task at once (its output
   * is incomplete anyway, and waiting would cost requests).
   */
  function drawing(t: GenerationTask): boolean {
    const s = state.get(t)!;
    if (s.phase !== "generating") return false;
    const k = s.drawn;
    const latest = s.committed > 0 ? progressAfter(s, s.committed - 1) : undefined;
    const stalled = latest && stopReason(t, latest);
    if (stalled && stalled.reason !== "completed") return stop(t, stalled);

    for (let j = Math.max(k - lag, s.epochStart - 1); j < k; j++) {
      const p = progressAfter(s, j);
      if (!p || stopReason(t, p)) continue;
      const rate = p.inputRows > 0 ? p.outputRows / p.inputRows : 1;
      let expected = 0;
      for (let i = j + 1; i < k; i++) expected += s.recent.get(i)!.rows * rate;
      if (p.accepted + expected < t.target) return true;
    }
    if (s.committed < k) return false;
    const reason = stopReason(t, progressAfter(s, k - 1)!);
    return reason ? stop(t, reason) : true;
  }

  /**
   * How many accepted records the task's next batch may take examples from: those its batches up
   * to `lag` before it made (counting batches committed by an interrupted run this one resumes,
   * so a resumed run draws what the interrupted one would have).
   */
  function machinePrefix(t: GenerationTask, s: TaskState): number {
    const j = s.drawn - lag;
    const before = j < 0 ? t.acceptedAfterDraws(t.drawsBefore + j + 1) : undefined;
    return before ?? progressAfter(s, j)?.accepted ?? t.accepted.length;
  }

  /** Stop a task drawing, for `why`. */
  function stop(t: GenerationTask, why: { reason: TaskStatus; cause?: string }): false {
    if (why.cause !== undefined) state.get(t)!.stallCause = why.cause;
    drain(t, why.reason);
    return false;
  }

  /** Whether a task's batches have made records, or none has finished yet. */
  function yields(t: GenerationTask): boolean {
    const s = state.get(t)!;
    return s.now.inputRows === 0 || s.now.outputRows > 0;
  }

  const cancelled = () => ctx.signal?.aborted === true;
  /** Set when a spending cap refused a request: this batch and every later one stay uncommitted. */
  let budgetStop: BudgetExhausted | undefined;

  for (;;) {
    // 1. Start builder calls while there is room and a task wants more. Past `width`, another
    //    call starts only while the builder's LLM capacity would otherwise sit idle, and only for
    //    tasks whose batches yield records (or are not known yet not to).
    while (!cancelled() && !budgetStop && !ctx.budget?.exhausted && mayStart(inflight, ctx)) {
      const filling = running(inflight) >= ctx.width;
      if (filling && !mayFill(builder, inflight, ctx)) break;
      const ready = tasks.filter((t) => drawing(t) && (!filling || yields(t)));
      if (ready.length === 0) break;
      if (attempt >= ctx.attemptCap) {
        for (const t of ready) drain(t, "attempts_exhausted");
        builder.logger.warn(`builder '${builder.name}' used all ${ctx.attemptCap} attempts`);
        break;
      }
      attempt++;
      const inputs: Batch["inputs"] = new Map();
      const pool: Row[] = [];
      for (const t of ready) {
        const s = state.get(t)!;
        // Machine examples come only from records of batches committed in every run by now.
        t.planBatch(machinePrefix(t, s));
        const b = await builder.nextBatch(t);
        if (b.rows.length === 0) {
          builder.logger.warn(
            `task '${t.name}' has no seed examples and no records yet, so there is nothing to generate from`,
          );
          drain(t, "stalled_generation");
          state.get(t)!.stallCause = "there is nothing to generate from";
          continue;
        }
        s.recent.set(s.drawn++, { rows: b.rows.length });
        s.recent.delete(s.drawn - lag - 3);
        // The checkpoint of this batch records where the batch sequence stands (see TaskCheckpoint).
        inputs.set(t, {
          rows: b.rows.length,
          position: { ...b.position, batches: t.nextBatchIndex, draws: t.drawsBefore + s.drawn },
        });
        pool.push(...b.rows);
      }
      if (pool.length === 0) continue;
      const requestIdx = attempt;
      inflight.push(
        startBatch(seq++, inputs, () => ctx.executor.generate(builder, requestIdx, pool)),
      );
      if (filling) await afterQueued();
    }

    // 2. Commit finished calls, oldest first (waking early if LLM capacity frees up for more).
    const fillable = tasks.some((t) => drawing(t) && yields(t));
    await waitForProgress(inflight, fillable ? whenFillable(builder, inflight, ctx) : undefined);
    // One turn of the event loop lets calls that wait on nothing (answers from the cache) finish
    // too, so they are committed together below.
    if (inflight[0]?.done && inflight.some((b) => !b.done)) await afterQueued();
    // Every finished batch at the head is committed, in order, with one write of records and one
    // of checkpoints per task (answers from the cache finish many batches at once).
    const ready: { batch: Batch; routed: Map<Task, Row[]> }[] = [];
    let failure: { error: unknown } | undefined;
    while (inflight[0]?.done && !failure) {
      const b = inflight.shift()!;
      if (b.error instanceof BudgetExhausted) budgetStop ??= b.error;
      // Past a refused request nothing is committed: a rerun redraws these batches (from the cache).
      if (budgetStop) continue;
      try {
        if (b.error !== undefined) throw b.error;
        ready.push({ batch: b, routed: routeRows(builder, b.result ?? []) });
      } catch (error) {
        // The batches before this one are committed first.
        failure = { error };
      }
    }
    const commits = new Map<GenerationTask, Commit[]>();
    for (const { batch: b, routed } of ready) {
      for (const t of new Set([
        ...b.inputs.keys(),
        ...(routed.keys() as Iterable<GenerationTask>),
      ]) as Set<GenerationTask>) {
        const input = b.inputs.get(t);
        const list = commits.get(t) ?? [];
        commits.set(t, list);
        list.push({
          rows: routed.get(t) ?? [],
          input,
          position: input?.position ?? {
            iter_index: t.checkpoint.iter_index,
            row_index: t.checkpoint.row_index,
          },
        });
      }
    }
    for (const [t, list] of commits) {
      const added = await t.commitMany(list);
      const s = state.get(t)!;
      const m = ctx.metrics.task(t.name);
      m.accepted = t.accepted.length;
      let accepted = t.accepted.length - added.reduce((a, b) => a + b, 0);
      list.forEach(({ rows, input }, i) => {
        const fresh = added[i]!;
        accepted += fresh;
        m.produced += rows.length;
        if (!input) return;
        const p = s.now;
        s.now = {
          accepted,
          inputRows: p.inputRows + input.rows,
          outputRows: p.outputRows + fresh,
          returnedRows: p.returnedRows + rows.length,
          stallBudget: fresh > 0 ? ctx.maxStalled : p.stallBudget - 1,
        };
        const batch = s.recent.get(s.committed++);
        if (batch) batch.after = s.now;
      });
    }
    if (failure) throw failure.error;
    // A task whose batches are all committed decides now whether to stop (see `drawing`).
    for (const t of tasks) if (state.get(t)!.committed === state.get(t)!.drawn) drawing(t);

    // 3. Postprocess tasks that stopped generating and have nothing in flight.
    for (const t of tasks) {
      const s = state.get(t)!;
      if (s.phase !== "draining" || inflight.some((b) => b.inputs.has(t))) continue;
      if (cancelled() || budgetStop) continue;
      try {
        await postprocess(builder, t);
      } catch (e) {
        if (!(e instanceof BudgetExhausted)) throw e;
        budgetStop ??= e;
        continue;
      }
      const m = ctx.metrics.task(t.name);
      m.accepted = t.accepted.length;
      builder.telemetry.event("epoch_finished", {
        builder_name: builder.name,
        task_name: t.name,
        epoch: m.epoch,
        accepted: t.accepted.length,
        reason: s.reason,
      });
      if (t.isComplete() || s.reason !== "completed") {
        s.phase = "finished";
        // Batches still in flight when the task stalled may have reached the target after all:
        // then it completed, and saying it stalled would be wrong.
        const status = t.isComplete() ? "completed" : s.reason;
        if (status === "stalled_generation")
          builder.logger.warn(
            `task '${t.name}' stalled: ${s.stallCause ?? `${ctx.maxStalled} batches in a row produced nothing new`} (${t.accepted.length}/${t.target} records)`,
          );
        await ctx.finish(t, status);
        continue;
      }
      // Postprocessing took the task below its target: another epoch, unless epochs stopped helping.
      s.epochBudget =
        t.accepted.length > s.countAfterLastEpoch ? ctx.maxStalled : s.epochBudget - 1;
      s.countAfterLastEpoch = t.accepted.length;
      if (s.epochBudget <= 0) {
        s.phase = "finished";
        builder.logger.warn(
          `task '${t.name}' stalled: ${ctx.maxStalled} postprocessing epochs in a row made no progress (${t.accepted.length}/${t.target} records)`,
        );
        await ctx.finish(t, "stalled_postprocessing");
        continue;
      }
      s.phase = "generating";
      s.now = { ...s.now, accepted: t.accepted.length, stallBudget: ctx.maxStalled };
      s.epochStart = s.drawn;
      s.atEpochStart = s.now;
      m.epoch++;
      builder.telemetry.event("epoch_started", {
        builder_name: builder.name,
        task_name: t.name,
        epoch: m.epoch,
      });
    }

    if (inflight.length > 0) continue;
    if (budgetStop || ctx.budget?.exhausted) {
      const why = budgetStop ?? ctx.budget!.exhausted!;
      for (const t of tasks)
        if (state.get(t)!.phase !== "finished") await ctx.finish(t, "budget_exhausted", why);
      return;
    }
    if (cancelled()) {
      for (const t of tasks)
        if (state.get(t)!.phase !== "finished") await ctx.finish(t, "cancelled");
      return;
    }
    if (tasks.every((t) => state.get(t)!.phase === "finished")) return;
    if (!tasks.some((t) => state.get(t)!.phase === "draining" || drawing(t))) {
      // Nothing can move: every generating task already has its target. Treat as complete.
      for (const t of tasks) if (state.get(t)!.phase === "generating") drain(t, "completed");
    }
  }
}

/** The last reply the builder noted as unusable (else the last answer of its LLM blocks), for a stall message. */
function unusableSample(builder: GenerationDataBuilder): string {
  const replies = [...builder.blocks.values()].flatMap((b) =>
    b instanceof LMProvider && b.lastReply !== undefined ? [b.lastReply] : [],
  );
  const sample =
    builder.lastUnusable ??
    (replies.length ? { reply: replies[0]!, reason: undefined } : undefined);
  const see =
    "To see every reply, rerun with DGT_TELEMETRY_RECORD_PAYLOADS=1 and read the dgt.llm_call spans in telemetry/traces.jsonl";
  if (!sample) return `${see}.`;
  const text = sample.reply.length > 300 ? `${sample.reply.slice(0, 300)}…` : sample.reply;
  return `A reply: ${JSON.stringify(text)}${sample.reason ? ` (the builder: ${sample.reason})` : ""}. ${see}.`;
}
