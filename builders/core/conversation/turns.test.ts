import { Random, type Row } from "digit-sdg";
import { describe, expect, it } from "vitest";
import { blankConversation, type Conversation, makeStep } from "./conversation.js";
import { terminates } from "./stages/flow-controller.js";
import type { Stage, StageContext } from "./stages/stage.js";
import { type Pipeline, runConversations } from "./turns.js";

const ctx: StageContext = {
  seedData: [],
  rng: new Random(1),
  logger: {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child() {
      return this;
    },
  },
  taskName: "t",
  loadRows: async () => [],
};

/** A stage that appends a step of `role`; `decide` may drop or terminate per conversation and turn. */
function stage(
  role: string,
  decide: (c: Conversation, turn: number) => "keep" | "drop" | "end" = () => "keep",
): Stage {
  return {
    name: role,
    async run(convs) {
      const out: Conversation[] = [];
      for (const c of convs) {
        const turn =
          c.steps.filter((s) => s.role === "flow_controller").length +
          (role === "flow_controller" ? 1 : 0);
        const d = decide(c, turn);
        if (d === "drop") continue;
        c.steps.push(
          makeStep(
            role,
            `${role} ${turn}`,
            role,
            role === "flow_controller" ? { terminate: d === "end" } : {},
          ),
        );
        out.push(c);
      }
      return out;
    },
  };
}

function pipeline(fc: Stage, extra: Partial<Pipeline> = {}): Pipeline {
  return {
    initialization: [stage("scenario")],
    iteration: [fc, stage("user"), stage("assistant")],
    termination: [],
    ...extra,
  };
}

const turnsOf = (c: Row) => (c.steps as Row[]).filter((s) => s.role === "user").length;
const blanks = (n: number) => Array.from({ length: n }, () => blankConversation("t"));

describe("conversation turn rules", () => {
  it("max_turns caps the number of turns exactly and keeps the conversations", async () => {
    const out = await runConversations(
      blanks(3),
      pipeline(stage("flow_controller")),
      ctx,
      { minTurns: 1, maxTurns: 3 },
      terminates,
    );
    expect(out).toHaveLength(3);
    expect(out.map(turnsOf)).toEqual([3, 3, 3]);
    expect((out[0]!.steps as Row[]).at(-1)!.role).toBe("assistant");
  });

  it("a termination in turn k is kept when k ≥ min_turns and that turn still gets its user and assistant messages", async () => {
    const fc = stage("flow_controller", (_c, turn) => (turn === 2 ? "end" : "keep"));
    const ends: string[] = [];
    const out = await runConversations(
      blanks(2),
      pipeline(fc),
      ctx,
      { minTurns: 2, maxTurns: 5, onEnd: (_c, o, r) => ends.push(`${o}:${r}`) },
      terminates,
    );
    expect(out.map(turnsOf)).toEqual([2, 2]);
    const last = (out[0]!.steps as Row[]).slice(-3).map((s) => s.role);
    expect(last).toEqual(["flow_controller", "user", "assistant"]);
    expect(ends).toEqual(["completed:flow_controller", "completed:flow_controller"]);
  });

  it("a termination before min_turns drops the conversation", async () => {
    const fc = stage("flow_controller", (_c, turn) => (turn === 1 ? "end" : "keep"));
    const ends: string[] = [];
    const out = await runConversations(
      blanks(2),
      pipeline(fc),
      ctx,
      { minTurns: 2, maxTurns: 5, onEnd: (_c, o, r) => ends.push(`${o}:${r}`) },
      terminates,
    );
    expect(out).toEqual([]);
    expect(ends).toEqual(["dropped:flow_controller", "dropped:flow_controller"]);
  });

  it("a stage drop after min_turns completed turns keeps the snapshot from the start of the turn", async () => {
    const user = stage("user", (c) =>
      c.steps.filter((s) => s.role === "user").length === 2 ? "drop" : "keep",
    );
    const p: Pipeline = {
      initialization: [stage("scenario")],
      iteration: [stage("flow_controller"), user, stage("assistant")],
      termination: [],
    };
    const out = await runConversations(blanks(1), p, ctx, { minTurns: 2, maxTurns: 6 }, terminates);
    expect(out).toHaveLength(1);
    expect(turnsOf(out[0]!)).toBe(2);
    // The half-done third turn (its flow-controller step) is not in the kept conversation.
    expect((out[0]!.steps as Row[]).at(-1)!.role).toBe("assistant");
  });

  it("a stage drop before min_turns drops the conversation, others go on", async () => {
    let first: Conversation | undefined;
    const user = stage("user", (c) => {
      first ??= c;
      return c === first ? "drop" : "keep";
    });
    const p: Pipeline = {
      initialization: [],
      iteration: [stage("flow_controller"), user, stage("assistant")],
      termination: [],
    };
    const out = await runConversations(blanks(3), p, ctx, { minTurns: 1, maxTurns: 2 }, terminates);
    expect(out).toHaveLength(2);
    expect(out.map(turnsOf)).toEqual([2, 2]);
  });

  it("an initialization stage that drops everything ends the batch with nothing", async () => {
    const p = pipeline(stage("flow_controller"), {
      initialization: [stage("scenario", () => "drop")],
    });
    expect(
      await runConversations(blanks(2), p, ctx, { minTurns: 1, maxTurns: 2 }, terminates),
    ).toEqual([]);
  });

  it("stages see every live conversation at once (one call per stage per turn)", async () => {
    const sizes: number[] = [];
    const counting: Stage = {
      name: "count",
      run: async (c) => {
        sizes.push(c.length);
        return c;
      },
    };
    const p: Pipeline = {
      initialization: [counting],
      iteration: [stage("flow_controller"), counting],
      termination: [counting],
    };
    await runConversations(blanks(5), p, ctx, { minTurns: 1, maxTurns: 2 }, terminates);
    expect(sizes).toEqual([5, 5, 5, 5]);
  });

  it("termination stages may fork conversations", async () => {
    const fork: Stage = {
      name: "fork",
      run: async (convs) =>
        convs.flatMap((c) => [
          c,
          { ...structuredClone(c), conversation_id: `${c.conversation_id}-b` },
        ]),
    };
    const out = await runConversations(
      blanks(2),
      pipeline(stage("flow_controller"), { termination: [fork] }),
      ctx,
      { minTurns: 1, maxTurns: 1 },
      terminates,
    );
    expect(out).toHaveLength(4);
    expect(new Set(out.map((c) => c.conversation_id)).size).toBe(4);
  });
});
