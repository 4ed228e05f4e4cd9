import { describe, expect, it } from "vitest";
import { BudgetError, BudgetExhausted } from "../../errors.js";
import { SpendGuard } from "./spend-guard.js";
import { LocalSpendLedger, type SpendLedger } from "./spend-ledger.js";

/** $1 per 1M input and output tokens: a request of 1,000,000 tokens costs $1. */
const PRICES = { openai: { m: { input: 1, output: 1 } } };
const request = (tokens: number, tasks = ["t"]) => ({
  provider: "openai",
  model: "m",
  tasks,
  promptTokens: 0,
  maxCompletionTokens: tokens,
});

describe("SpendGuard", () => {
  it("counts earlier attempts' spend against the caps and says so when it refuses", async () => {
    const guard = new SpendGuard(PRICES, { run: 3, tasks: { t: 10 } });
    await guard.addEarlier("t", 2);
    const ticket = await guard.reserve(request(500_000));
    await expect(guard.reserve(request(600_000))).rejects.toThrow(
      /spending cap of \$3\.0000 \(--max-cost\) is reached: \$2\.0000 spent \(\$2\.0000 of it by earlier attempts\), \$0\.5000 reserved/,
    );
    // Once refused, the run stays stopped.
    ticket.settle({ prompt_tokens: 0, completion_tokens: 100_000 });
    await expect(guard.reserve(request(1))).rejects.toBeInstanceOf(BudgetExhausted);
    expect(await guard.totals()).toEqual({ spent: 2.1, reserved: 0, byTask: { t: 2.1 } });
  });

  it("counts spend without a cap (for resumed runs) and never refuses or asks for a price then", async () => {
    const guard = new SpendGuard(PRICES, {});
    const ticket = await guard.reserve(request(5_000_000));
    ticket.settle(undefined); // no usage reported: the worst case is counted
    (await guard.reserve({ ...request(1), model: "unpriced" })).settle(undefined);
    expect((await guard.totals()).byTask).toEqual({ t: 5 });
    expect(() => new SpendGuard(PRICES, { run: 1 }).requirePrice("openai", "x")).toThrow(
      BudgetError,
    );
  });

  it("waits for settlements a shared ledger has not applied yet before giving totals", async () => {
    const local = new LocalSpendLedger({});
    const slow: SpendLedger = {
      reserve: (w, t) => local.reserve(w, t),
      settle: (w, a, t) =>
        new Promise<void>((done) => setTimeout(() => done(local.settle(w, a, t)), 20)),
      addEarlier: (t, usd) => local.addEarlier(t, usd),
      totals: () => local.totals(),
    };
    const guard = new SpendGuard(PRICES, { run: 100 }, slow);
    (await guard.reserve(request(1_000_000))).settle({ prompt_tokens: 0, completion_tokens: 3e5 });
    expect(await guard.totals()).toMatchObject({ spent: 0.3, reserved: 0 });
  });
});
