import type { Conversation } from "./conversation.js";
import type { Stage, StageContext } from "./stages/stage.js";

/**
 * The stage lists of a task.
 *
 * @example
 * const p: Pipeline = { initialization: [scenario], iteration: [fc, user, assistant], termination: [] };
 */
export interface Pipeline {
  initialization: Stage[];
  iteration: Stage[];
  termination: Stage[];
}

/**
 * Why a conversation ended.
 *
 * @example
 * onEnd: (c, outcome, reason: EndReason | "initialization") => log(reason)
 */
export type EndReason = "stage_drop" | "flow_controller" | "max_turns";

/**
 * Turn limits and how to report each ending.
 *
 * @example
 * runConversations(blanks, pipeline, ctx, { minTurns: 2, maxTurns: 4 }, terminates)
 */
export interface TurnRules {
  minTurns: number;
  maxTurns: number;
  /** Called for every completed (kept) or dropped conversation. */
  onEnd?: (
    c: Conversation,
    outcome: "completed" | "dropped",
    reason: EndReason | "initialization",
  ) => void;
}

/**
 * Whether a conversation's last flow-controller step ends it.
 *
 * @example
 * const never: TerminationCheck = () => false;
 */
export type TerminationCheck = (c: Conversation) => boolean;

/**
 * Run a batch of conversations through a pipeline in lockstep: every stage gets all live
 * conversations at once, so each stage is one block call per turn for the whole batch.
 *
 * Turn rules (DiGiT's, with the closing turn fixed):
 * - a conversation an iteration stage drops is kept as it was at the start of the turn if it had
 *   completed at least `minTurns` turns, else dropped;
 * - a conversation whose flow controller chose a termination pattern in turn k still gets that
 *   turn's user and assistant messages (DiGiT produced none), then ends: kept if k ≥ `minTurns`;
 * - after `maxTurns` turns every live conversation is kept.
 * Termination stages then run over the kept conversations.
 *
 * @example
 * const done = await runConversations(blanks, pipeline, ctx, { minTurns: 2, maxTurns: 4 }, terminates);
 */
export async function runConversations(
  conversations: Conversation[],
  pipeline: Pipeline,
  ctx: StageContext,
  rules: TurnRules,
  terminated: TerminationCheck,
): Promise<Conversation[]> {
  let live = conversations;
  for (const stage of pipeline.initialization) {
    const before = live;
    live = await stage.run(live, ctx);
    const kept = new Set(live);
    for (const c of before) if (!kept.has(c)) rules.onEnd?.(c, "dropped", "initialization");
    if (live.length === 0) return [];
  }
  let completed: Conversation[] = [];
  let turns = 0;
  while (live.length > 0) {
    const snapshots = new Map(live.map((c) => [c, structuredClone(c)]));
    for (const stage of pipeline.iteration) {
      const before = live;
      live = await stage.run(live, ctx);
      const kept = new Set(live);
      for (const c of before) {
        if (kept.has(c)) continue;
        const snap = snapshots.get(c) ?? structuredClone(c);
        if (turns >= rules.minTurns) {
          completed.push(snap);
          rules.onEnd?.(snap, "completed", "stage_drop");
        } else rules.onEnd?.(c, "dropped", "stage_drop");
      }
      if (live.length === 0) break;
    }
    const next: Conversation[] = [];
    for (const c of live) {
      if (!terminated(c)) next.push(c);
      else if (turns + 1 >= rules.minTurns) {
        completed.push(c);
        rules.onEnd?.(c, "completed", "flow_controller");
      } else rules.onEnd?.(c, "dropped", "flow_controller");
    }
    live = next;
    turns++;
    if (turns >= rules.maxTurns) {
      for (const c of live) rules.onEnd?.(c, "completed", "max_turns");
      completed.push(...live);
      live = [];
    }
  }
  for (const stage of pipeline.termination) completed = await stage.run(completed, ctx);
  return completed;
}
